/* Tests of src/value.c: the scalar parsers of DATA.md section 1. The
 * decimal parser is held to strtod bit for bit (a table of edge cases and a
 * seeded differential run over millions of random decimals); day numbers
 * were checked with Python's datetime (date(y, m, d) - date(1970, 1, 1)). */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/fmt.h>
#include <crampstat/value.h>
#include "internal.h"

static cs_str str_of(const char *s)
{
    return (cs_str){ s, strlen(s) };
}

static uint64_t bits_of(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* The reference: what strtod gives for the whole text. */
static double ref_strtod(const char *s)
{
    return strtod(s, NULL);
}

/* ---- cs_parse_decimal: accepted texts equal strtod ---------------- */

static const char *const dec_ok[] = {
    "0", "-0", "+0", "+1", "-1", ".5", "-.5", "+.5", "5.", "-5.", "0.0",
    "-0.000", "00000", "0.1", "0.2", "0.3", "1.1", "2.675", "-12.01",
    "45.5", "1440", "1440.0001", "0.0001", "-40.1", "60.1", "100.1",
    "1.7976931348623157",
    "123456789012345678901234567890",
    "0.000000000000000000001",
    "0.0000000000000000000000000000",           /* all zeros, e < -22 */
    "-0.0000000000000000000000000000",
    /* 17 to 20 significant digits (fast path up to 2^53, then strtod) */
    "12345678901234567", "1.2345678901234567", "0.12345678901234567",
    "123456789012345678", "1234567890123456789", "12345678901234567890",
    "99999999999999999", "999999999999999999", "9999999999999999999",
    "99999999999999999999", "0.99999999999999999999",
    "9007199254740992",                           /* 2^53 */
    "9007199254740993",                           /* 2^53 + 1: a tie */
    "9007199254740994", "9007199254740995",
    "9007199254740993.0", "900719925474099.3", "90071992547409930",
    "18014398509481985",                          /* 2^54 + 1 */
    "1152921504606846977",                        /* 2^60 + 1 */
    /* long fractions */
    "0.1000000000000000055511151231257827021181583404541015625",
    "0.1000000000000000055511151231257827021181583404541015626",
    "0.1000000000000000055511151231257827021181583404541015624",
    "3.14159265358979323846264338327950288419716939937510",
    "2.22507385850720138309023271733240406421921598046233",
    /* exponents at the edges of the fast path (10^22 exact) */
    "1000000000000000000000", "10000000000000000000000",
    "100000000000000000000000", "4503599627370496000000000",
    "0.0000000000000000000001", "0.00000000000000000000001",
    "1.0000000000000000000000000000001",
    "0.50000000000000000000000000000000000000000000000000000000001",
};

static void test_decimal_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dec_ok / sizeof dec_ok[0]; i++) {
        double got = 12345.0;
        const char *s = dec_ok[i];
        print_message("case %s\n", s);
        assert_int_equal(cs_parse_decimal(str_of(s), &got), 0);
        if (bits_of(got) != bits_of(ref_strtod(s)))
            fail_msg("\"%s\": %.17g (%016llx), strtod %.17g (%016llx)", s,
                     got, (unsigned long long)bits_of(got), ref_strtod(s),
                     (unsigned long long)bits_of(ref_strtod(s)));
    }
}

/* "-0" is negative zero, exactly as strtod reads it. */
static void test_decimal_negative_zero(void **state)
{
    double v = 1;
    (void)state;
    assert_int_equal(cs_parse_decimal(CS_STR("-0"), &v), 0);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(cs_parse_decimal(CS_STR("-0.00"), &v), 0);
    assert_true(v == 0 && signbit(v));
    assert_int_equal(cs_parse_decimal(CS_STR("0"), &v), 0);
    assert_true(v == 0 && !signbit(v));
}

static const char *const dec_bad[] = {
    "", "-", "+", ".", "-.", "+.", "..", "1..2", "1.2.3", "1e5", "1E5",
    "1E400", "1e-5", "NaN", "nan", "inf", "-inf", "Infinity", "0x10", "0X1p3",
    "45,5", "1,000", " 1", "1 ", " ", "\t1", "1\t", "1\n", "+-1", "-+1", "--1",
    "1-", "1+", "1_000", "\xd9\xa1" /* Arabic-Indic 1 */, "1.5.", "x", "12a", "0b1", "1d", "1f",
};

static void test_decimal_rejects(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dec_bad / sizeof dec_bad[0]; i++) {
        double v = 42.0;
        print_message("case \"%s\"\n", dec_bad[i]);
        assert_int_equal(cs_parse_decimal(str_of(dec_bad[i]), &v), -1);
        assert_true(v == 42.0);   /* *out untouched on failure */
    }
    /* A NUL inside the length is a byte like any other: rejected. */
    {
        double v;
        assert_int_equal(cs_parse_decimal((cs_str){ "1\0" "2", 3 }, &v), -1);
    }
}

/* The length, not a NUL, ends the text: a prefix of a longer buffer. */
static void test_decimal_length_delimited(void **state)
{
    double v;
    (void)state;
    assert_int_equal(cs_parse_decimal((cs_str){ "12.5xyz", 4 }, &v), 0);
    assert_true(v == 12.5);
    assert_int_equal(cs_parse_decimal((cs_str){ "12345678901234567890123", 20 },
                                      &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod("12345678901234567890")));
    assert_int_equal(cs_parse_decimal((cs_str){ "7", 0 }, &v), -1);
}

/* Lengths beyond any fixed buffer: the old slow path refused 512 bytes
 * and more, and rejected underflow; strtod reads both. */
static void test_decimal_long(void **state)
{
    static char s[4096];
    double v;
    (void)state;

    /* 0.000...0001 with 1000 zeros: underflows to 0 as strtod says */
    strcpy(s, "0.");
    memset(s + 2, '0', 1000);
    strcpy(s + 1002, "1");
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod(s)));
    /* a subnormal: 4.9e-324 written out */
    strcpy(s, "0.");
    memset(s + 2, '0', 323);
    strcpy(s + 325, "49406564584124654");
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod(s)));
    assert_true(v > 0);
    /* 1.5 followed by 2000 zeros and a 1: more than 780 digits */
    strcpy(s, "1.5");
    memset(s + 3, '0', 2000);
    strcpy(s + 2003, "1");
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod(s)));
    /* 2^53 + 1 with a non-zero digit 900 places later: rounds up */
    strcpy(s, "9007199254740993.");
    memset(s + 17, '0', 900);
    strcpy(s + 917, "1");
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod(s)));
    assert_true(v == 9007199254740994.0);
    /* ... and exactly the tie (zeros only): rounds to even */
    s[917] = '0';
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(v == 9007199254740992.0);
    /* 400 nines: overflow is rejected */
    memset(s, '9', 400);
    s[400] = '\0';
    assert_int_equal(cs_parse_decimal(str_of(s), &v), -1);
    /* 308 digits: DBL_MAX's order of magnitude, accepted */
    memset(s, '1', 308);
    s[308] = '\0';
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod(s)));
    s[0] = '-';
    assert_int_equal(cs_parse_decimal(str_of(s), &v), 0);
    assert_true(bits_of(v) == bits_of(ref_strtod(s)));
}

/* splitmix64: a fixed seed, so a failure can be replayed. */
static uint64_t rng_state = 0x5eed5eed12345678ULL;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A random decimal: 1-25 digits, a dot anywhere (or none), a sign. The
 * digit alphabet varies so that runs of zeros and nines (the rounding
 * edges) come up often. */
static size_t random_decimal(char *s)
{
    static const char *const alphabets[] = {
        "0123456789", "09", "0", "9", "01", "05", "0123456789000000"
    };
    uint64_t r = rng();
    int ndig = 1 + (int)(r % 25);
    int dot = (int)((r >> 8) % (uint64_t)(ndig + 3)) - 1;  /* -1: none */
    int sign = (int)((r >> 16) % 3);
    const char *alpha = alphabets[(r >> 20) % 7];
    size_t na = strlen(alpha), n = 0;

    if (dot > ndig)
        dot = -1;
    if (sign)
        s[n++] = sign == 1 ? '-' : '+';
    for (int i = 0; i < ndig; i++) {
        if (i == dot)
            s[n++] = '.';
        s[n++] = i == 0 && (r >> 24) % 2 ? (char)('1' + rng() % 9)
                                         : alpha[rng() % na];
    }
    if (dot == ndig)
        s[n++] = '.';
    s[n] = '\0';
    return n;
}

static void test_decimal_differential(void **state)
{
    char s[64];
    unsigned long fails = 0;
    (void)state;

    for (long i = 0; i < 2500000; i++) {
        size_t n = random_decimal(s);
        double got = NAN, want = ref_strtod(s);
        if (cs_parse_decimal((cs_str){ s, n }, &got) != 0 ||
            bits_of(got) != bits_of(want)) {
            if (fails++ < 10)
                print_message("mismatch #%ld \"%s\": %.17g vs strtod %.17g\n",
                              i, s, got, want);
        }
    }
    assert_int_equal(fails, 0);
}

/* The grammar of a plain decimal, byte by byte: a sign only first, one
 * dot at most, at least one digit, nothing else. */
static int ref_plain_decimal(const char *s, size_t n)
{
    size_t i = 0, digits = 0, dots = 0;

    if (n && (s[0] == '+' || s[0] == '-'))
        i = 1;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.')
            dots++;
        else
            return 0;
    }
    return digits > 0 && dots <= 1;
}

/* cs_parse_decimal on the n bytes at s against the grammar
 * and strtod; returns 1 when they disagree. */
static int decimal_disagrees(const char *s, size_t n)
{
    char z[64];
    double got = NAN;
    int ok = cs_parse_decimal((cs_str){ s, n }, &got) == 0;

    if (ok != ref_plain_decimal(s, n))
        return 1;
    if (!ok)
        return 0;
    memcpy(z, s, n);
    z[n] = '\0';
    return bits_of(got) != bits_of(ref_strtod(z));
}

/* Every byte value at every place of texts of 1 to 22 digits, with and
 * without a dot and a sign, followed in memory by more digits: a byte
 * that is not a digit must stop the parser at its own place, and nothing
 * past the text's length may count. These are the bytes a parser reading
 * several at a time gets wrong: one just below '0' or above '9', one
 * whose low nibble is a digit's, one of 0xfa and up that carries in a
 * byte-wise check. */
static void test_decimal_every_byte(void **state)
{
    char buf[64];
    unsigned long fails = 0, cases = 0;
    (void)state;

    for (size_t n = 1; n <= 22; n++)
        for (int shape = 0; shape < 4; shape++)
            for (size_t at = 0; at < n; at++)
                for (int b = 0; b < 256; b++) {
                    for (size_t i = 0; i < sizeof buf; i++)
                        buf[i] = (char)('1' + (i * 7 + n) % 9);
                    if (shape & 1)
                        buf[(n * 3 + 1) % n] = '.';
                    if (shape & 2)
                        buf[0] = '-';
                    buf[at] = (char)b;
                    cases++;
                    if (decimal_disagrees(buf, n) && fails++ < 10)
                        print_message("disagree: %zu bytes, byte 0x%02x at %zu, "
                                      "shape %d\n", n, b, at, shape);
                }
    assert_true(cases > 90000);
    assert_int_equal(fails, 0);
}

/* cs_parse_decimal_padded on the n bytes at s (CS_DECIMAL_PAD readable)
 * against cs_parse_decimal: the same return, the same bits; and an
 * accepted text against strtod. The same for the word-wise reader
 * (cs__parse_decimal_words), which cs_parse_decimal_padded is without
 * SSE2. Returns 1 when they disagree. */
static int padded_disagrees(const char *s, size_t n)
{
    char z[64];
    double got = NAN, want = NAN, words = NAN;
    int rc = cs_parse_decimal_padded((cs_str){ s, n }, &got);

    if (rc != cs_parse_decimal((cs_str){ s, n }, &want) ||
        rc != cs__parse_decimal_words((cs_str){ s, n }, &words))
        return 1;
    if (rc != 0)
        return 0;
    memcpy(z, s, n);
    z[n] = '\0';
    return bits_of(got) != bits_of(want) || bits_of(words) != bits_of(want) ||
           bits_of(got) != bits_of(ref_strtod(z));
}

/* The SSE2 and word-wise paths: texts as tag writes them (up to 9
 * decimals, no trailing zero), random texts over the bytes a number is
 * made of, and every byte value at every place of texts of 1 to 20
 * bytes, each followed in memory by digits, dots, signs or other bytes,
 * which must never count; then every place of the dot in texts of every
 * length the fast paths read, with digits of every value at each place.
 * It took 8 planted faults to show the word-wise path can fail. */
static void test_decimal_padded(void **state)
{
    static const char pads[] = "0123456789.-+ e,";
    char buf[96], big[128];
    unsigned long fails = 0, cases = 0;
    (void)state;

    /* tag's numbers: %.9f less trailing zeros (fmt_d) of values of
     * every magnitude up to 10^9, and the same text cut short */
    for (long i = 0; i < 1500000; i++) {
        uint64_t r = rng();
        double v = (double)(r >> 11) / (double)(1ULL << 53) *
                   ((const double[]){ 1, 10, 100, 1e4, 1e7, 1e9 })[r % 6];
        int n = snprintf(buf, sizeof buf, "%s%.*f", (r >> 3) % 4 ? "" : "-",
                         (int)((r >> 5) % 10), v);
        if (strchr(buf, '.'))
            while (buf[n - 1] == '0')
                n--;
        if (buf[n - 1] == '.' && (r >> 9) % 2)
            n--;
        if ((r >> 10) % 8 == 0)
            n = (int)((r >> 13) % (uint64_t)(n + 1));
        for (size_t k = (size_t)n; k < sizeof buf; k++)
            buf[k] = pads[rng() % (sizeof pads - 1)];
        cases++;
        if (padded_disagrees(buf, (size_t)n) && fails++ < 10)
            print_message("padded disagrees: \"%.*s\"\n", n, buf);
    }
    /* random texts of 0 to 20 bytes over digits, dots and signs */
    for (long i = 0; i < 1500000; i++) {
        size_t n = rng() % 21;
        for (size_t k = 0; k < sizeof buf; k++)
            buf[k] = pads[rng() % (k < n ? 13 : sizeof pads - 1)];
        cases++;
        if (padded_disagrees(buf, n) && fails++ < 10)
            print_message("padded disagrees: \"%.*s\"\n", (int)n, buf);
    }
    /* every byte at every place, after the shapes of the every-byte test,
     * amid digits (before the text too), a dot after it at times */
    for (size_t n = 1; n <= 20; n++)
        for (int shape = 0; shape < 8; shape++)
            for (size_t at = 0; at < n; at++)
                for (int b = 0; b < 256; b++) {
                    char *t = big + 16;
                    for (size_t i = 0; i < sizeof big; i++)
                        big[i] = (char)('1' + (i * 7 + n) % 9);
                    if (shape & 1)
                        t[(n * 3 + 1) % n] = '.';
                    if (shape & 2)
                        t[0] = '-';
                    if (shape & 4)
                        t[n + (size_t)b % 3] = '.';
                    t[at] = (char)b;
                    cases++;
                    if (padded_disagrees(t, n) && fails++ < 10)
                        print_message("padded disagrees: %zu bytes, byte "
                                      "0x%02x at %zu, shape %d\n", n, b, at,
                                      shape);
                }
    /* by hand: the edges of the word-wise path */
    {
        static const char *const edge[] = {
            "", "-", "+", ".", "-.", "0", "-0", "-0.0", "0.0", "1.", "-1.",
            ".5", "-.5", "+1.5", "1.5", "32.117", "0.75", "-3.2",
            "1234567.1", "12345678.1", "1234567.12345678",
            "1234567.123456789", "1.23456789012345", "1.234567890123456",
            "12.3456789012345", "123456789012345", "1234567890123456",
            "0.000000000000001", "0.00000000000001", "9999999.99999999",
            "1.5e3", "1.5 ", " 1.5", "1..5", "1.5.", "1-5", "--1", "-+1",
            "2773.333333333", "10.807222222", "0.123456789",
        };
        for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
            size_t n = strlen(edge[i]);
            for (int pad = 0; pad < 16; pad++) {
                memset(buf, pads[pad], sizeof buf);
                memcpy(buf, edge[i], n);
                cases++;
                if (padded_disagrees(buf, n) && fails++ < 10)
                    print_message("padded disagrees: \"%s\" pad '%c'\n",
                                  edge[i], pads[pad]);
            }
        }
    }
    /* 1 to 17 digits, a dot at each place or none, a sign or none: each
     * digit place holds every value (the others random), so that every
     * lane of the multiply-adds and every shift of the exact division by
     * 5^k meets every digit */
    for (size_t n = 1; n <= 17; n++)
        for (size_t dot = 0; dot <= n + 1; dot++)
            for (int sign = 0; sign < 2; sign++)
                for (size_t at = 0; at < n; at++)
                    for (int dv = 0; dv < 10; dv++) {
                        char *t = big + 16;
                        size_t len = 0;
                        if (sign)
                            t[len++] = '-';
                        for (size_t i = 0; i < n; i++) {
                            if (i == dot)
                                t[len++] = '.';
                            t[len++] = (char)(i == at ? '0' + dv
                                                      : '0' + (int)(rng() % 10));
                        }
                        if (dot == n)
                            t[len++] = '.';
                        for (size_t k = len; k < len + 40; k++)
                            t[k] = pads[rng() % (sizeof pads - 1)];
                        cases++;
                        if (padded_disagrees(t, len) && fails++ < 10)
                            print_message("padded disagrees: \"%.*s\"\n",
                                          (int)len, t);
                    }
    assert_true(cases > 3400000);
    assert_int_equal(fails, 0);
}

/* Integers around 2^53 scaled by 10^-24 ... 10^24: the fast path's
 * limits on both the mantissa and the exponent. */
static void test_decimal_fast_path_edges(void **state)
{
    (void)state;
    for (uint64_t m = ((uint64_t)1 << 53) - 1000; m < ((uint64_t)1 << 53) + 1000;
         m++) {
        for (int e = -24; e <= 24; e++) {
            char dig[32], s[64];
            int nd = snprintf(dig, sizeof dig, "%llu", (unsigned long long)m);
            double got;
            if (e >= 0)
                snprintf(s, sizeof s, "%s%.*s", dig, e,
                         "000000000000000000000000");
            else if (-e < nd)
                snprintf(s, sizeof s, "%.*s.%s", nd + e, dig, dig + nd + e);
            else
                snprintf(s, sizeof s, "0.%.*s%s", -e - nd,
                         "000000000000000000000000", dig);
            assert_int_equal(cs_parse_decimal(str_of(s), &got), 0);
            if (bits_of(got) != bits_of(ref_strtod(s)))
                fail_msg("\"%s\": %.17g vs strtod %.17g", s, got,
                         ref_strtod(s));
        }
    }
}

/* ---- cs_canon_decimal --------------------------------------------- */

static const struct {
    const char *in, *out;
} canon_cases[] = {
    { "+045.500", "45.5" },
    { "-0.00", "0" },
    { "-0", "0" },
    { "+0", "0" },
    { "0", "0" },
    { "000", "0" },
    { ".5", "0.5" },
    { "-.5", "-0.5" },
    { "5.", "5" },
    { "-5.", "-5" },
    { "007", "7" },
    { "-0012.0100", "-12.01" },
    { "1440", "1440" },
    { "1440.0000", "1440" },
    { "100", "100" },            /* integer zeros are significant */
    { "0.0001", "0.0001" },
    { "-40.10", "-40.1" },
    { "12345678901234567890.123456789", "12345678901234567890.123456789" },
    { ".000", "0" },
};

/* cs_decimal_cmp_int: texts a double cannot tell from the bound, by
 * hand; then every text of up to 6 bytes over "+-0159." that
 * cs_parse_decimal accepts, against the sign of N - k 10^f worked out in
 * integers (N the digits read as one whole number, f the count after the
 * point), for bounds around the contract's. */
static void test_decimal_cmp_int(void **state)
{
    static const struct { const char *s; int64_t k; int want; } t[] = {
        { "1440.0000000000001", 1440, 1 },
        { "1440.00000000000000000000000001", 1440, 1 },
        { "1439.99999999999999999", 1440, -1 },
        { "1440.000000000000000000", 1440, 0 },
        { "0001440", 1440, 0 },
        { "+1440.", 1440, 0 },
        { "100.00000000000000001", 100, 1 },
        { "-40.00000000000000001", -40, -1 },
        { "-39.99999999999999999", -40, 1 },
        { "-40.000", -40, 0 },
        { "49.999999999999999999", 50, -1 },
        { "-0", 0, 0 }, { "-0.000", 0, 0 }, { "+.0", 0, 0 },
        { "0.0000000000000000000000000000001", 0, 1 },
        { "-0.0000000000000000000000000000001", 0, -1 },
        { "123456789012345678901234567890", 1440, 1 },
        { "-123456789012345678901234567890", -40, -1 },
        { "18446744073709551615", 1440, 1 },
        { "18446744073709551616.5", 10000, 1 },
        { "5", -40, 1 }, { "-5", 60, -1 }, { ".5", 0, 1 }, { "-.5", 0, -1 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        double x;
        assert_int_equal(cs_parse_decimal(str_of(t[i].s), &x), 0);
        if (cs_decimal_cmp_int(str_of(t[i].s), t[i].k) != t[i].want)
            fail_msg("%s against %lld: %d, expected %d", t[i].s,
                     (long long)t[i].k, cs_decimal_cmp_int(str_of(t[i].s), t[i].k),
                     t[i].want);
    }

    static const char alpha[] = "+-0159.";
    static const int64_t ks[] = { -41, -40, -1, 0, 1, 5, 9, 10, 60, 100, 999 };
    char buf[8];
    long checked = 0;
    for (int len = 1; len <= 6; len++) {
        long total = 1;
        for (int i = 0; i < len; i++)
            total *= 7;
        for (long code = 0; code < total; code++) {
            long c = code;
            int64_t n = 0, f = 0, neg = 0, dot = 0, p10 = 1;
            double x;
            for (int i = 0; i < len; i++, c /= 7)
                buf[i] = alpha[c % 7];
            buf[len] = '\0';
            if (cs_parse_decimal((cs_str){ buf, (size_t)len }, &x) < 0)
                continue;
            for (int i = 0; i < len; i++) {
                if (buf[i] == '-')
                    neg = 1;
                else if (buf[i] == '.')
                    dot = 1;
                else if (buf[i] != '+') {
                    n = n * 10 + (buf[i] - '0');
                    f += dot;
                }
            }
            for (int i = 0; i < f; i++)
                p10 *= 10;
            for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
                int64_t lhs = neg ? -n : n, rhs = ks[j] * p10;
                int want = (lhs > rhs) - (lhs < rhs);
                int got = cs_decimal_cmp_int((cs_str){ buf, (size_t)len }, ks[j]);
                if (got != want)
                    fail_msg("\"%s\" against %lld: %d, expected %d", buf,
                             (long long)ks[j], got, want);
                checked++;
            }
        }
    }
    assert_true(checked > 100000);
}

static void test_canon(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof canon_cases / sizeof canon_cases[0]; i++) {
        char b[64];
        cs_str in = str_of(canon_cases[i].in);
        int n;
        double v;
        print_message("case %s\n", canon_cases[i].in);
        assert_int_equal(cs_parse_decimal(in, &v), 0);
        n = cs_canon_decimal(in, b, sizeof b);
        assert_int_equal(n, (int)strlen(canon_cases[i].out));
        assert_memory_equal(b, canon_cases[i].out, (size_t)n);
        /* the canonical text reads back to the same number */
        {
            double w;
            assert_int_equal(cs_parse_decimal((cs_str){ b, (size_t)n }, &w), 0);
            assert_true(w == v);
        }
        /* s.len + 2 bytes are always enough ... */
        assert_int_equal(cs_canon_decimal(in, b, in.len + 2), n);
        /* ... and a buffer too small gives -1, never an overrun */
        for (size_t cap = 0; cap < (size_t)n; cap++)
            assert_int_equal(cs_canon_decimal(in, b, cap), -1);
    }
}

/* ---- int, bool, missing ------------------------------------------- */

static const struct {
    const char *in;
    int ok;
    int64_t v;
} int_cases[] = {
    { "0", 1, 0 }, { "-0", 1, 0 }, { "+7", 1, 7 }, { "007", 1, 7 },
    { "-12", 1, -12 }, { "110", 1, 110 },
    { "9223372036854775807", 1, INT64_MAX },
    { "-9223372036854775808", 1, INT64_MIN },
    { "9223372036854775808", 0, 0 },           /* INT64_MAX + 1 */
    { "-9223372036854775809", 0, 0 },
    { "18446744073709551616", 0, 0 },          /* 2^64: no wrap-around */
    { "99999999999999999999999", 0, 0 },
    { "", 0, 0 }, { "-", 0, 0 }, { "+", 0, 0 }, { "1.0", 0, 0 },
    { "1.", 0, 0 }, { "1e3", 0, 0 }, { " 1", 0, 0 }, { "1 ", 0, 0 },
    { "0x10", 0, 0 }, { "1,000", 0, 0 }, { "--1", 0, 0 }, { "abc", 0, 0 },
};

static void test_int(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++) {
        int64_t v = 99;
        print_message("case \"%s\"\n", int_cases[i].in);
        assert_int_equal(cs_parse_int(str_of(int_cases[i].in), &v),
                         int_cases[i].ok ? 0 : -1);
        if (int_cases[i].ok)
            assert_true(v == int_cases[i].v);
    }
}

static const struct {
    const char *in;
    int v;   /* 1, 0, or -1 rejected */
} bool_cases[] = {
    { "yes", 1 }, { "YES", 1 }, { "Yes", 1 }, { "y", 1 }, { "Y", 1 },
    { "true", 1 }, { "TRUE", 1 }, { "True", 1 }, { "1", 1 },
    { "no", 0 }, { "NO", 0 }, { "No", 0 }, { "n", 0 }, { "N", 0 },
    { "false", 0 }, { "FALSE", 0 }, { "False", 0 }, { "0", 0 },
    { "", -1 }, { "ye", -1 }, { "yess", -1 }, { "t", -1 }, { "f", -1 },
    { "on", -1 }, { "off", -1 }, { "2", -1 }, { "01", -1 }, { "-1", -1 },
    { " yes", -1 }, { "yes ", -1 }, { "nope", -1 }, { "falsey", -1 },
    { "NA", -1 },
};

static void test_bool(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bool_cases / sizeof bool_cases[0]; i++) {
        int v = 7;
        print_message("case \"%s\"\n", bool_cases[i].in);
        if (bool_cases[i].v < 0) {
            assert_int_equal(cs_parse_bool(str_of(bool_cases[i].in), &v), -1);
        } else {
            assert_int_equal(cs_parse_bool(str_of(bool_cases[i].in), &v), 0);
            assert_int_equal(v, bool_cases[i].v);
        }
    }
}

static const struct {
    const char *in;
    int missing;
} missing_cases[] = {
    { "", 1 }, { " ", 1 }, { "   ", 1 }, { "\t", 1 }, { "NA", 1 },
    { "na", 1 }, { "Na", 1 }, { "nA", 1 }, { " NA ", 1 }, { "N/A", 1 },
    { "n/a", 1 }, { "N/a", 1 }, { "  n/A\t", 1 },
    { "N", 0 }, { "NAN", 0 }, { "nan", 0 }, { "N A", 0 }, { "NA/", 0 },
    { "n.a.", 0 }, { "null", 0 }, { "-", 0 }, { "0", 0 }, { "none", 0 },
    { "N/AA", 0 }, { "\"NA\"", 0 },
};

static void test_missing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof missing_cases / sizeof missing_cases[0]; i++) {
        print_message("case \"%s\"\n", missing_cases[i].in);
        assert_int_equal(cs_is_missing(str_of(missing_cases[i].in)),
                         missing_cases[i].missing);
    }
}

/* ---- dates and times ---------------------------------------------- */

static const struct {
    const char *in;
    int ok;
    int y, mo, d, h, mi, s, has_time, has_tz, tz;
    const char *why;   /* substring of the reason when rejected */
} dt_cases[] = {
    { "2024-02-29", 1, 2024, 2, 29, 0, 0, 0, 0, 0, 0, NULL },
    { "2023-02-29", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "1900-02-29", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2000-02-29", 1, 2000, 2, 29, 0, 0, 0, 0, 0, 0, NULL },
    { "2100-02-29", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2023-02-28", 1, 2023, 2, 28, 0, 0, 0, 0, 0, 0, NULL },
    { "2024-01-31", 1, 2024, 1, 31, 0, 0, 0, 0, 0, 0, NULL },
    { "2024-04-31", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2024-06-31", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2024-09-31", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2024-11-31", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2024-12-31", 1, 2024, 12, 31, 0, 0, 0, 0, 0, 0, NULL },
    { "2024-12-32", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2024-00-10", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "month out of range" },
    { "2024-13-01", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "month out of range" },
    { "2024-01-00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "2024-6-3", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024/06/03", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "YYYY-MM-DD" },
    { "03-06-2024", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "YYYY-MM-DD" },
    { "20240603", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30", 1, 2024, 6, 3, 10, 30, 0, 1, 0, 0, NULL },
    { "2024-06-03 10:30", 1, 2024, 6, 3, 10, 30, 0, 1, 0, 0, NULL },
    { "2024-06-03T10:30:45", 1, 2024, 6, 3, 10, 30, 45, 1, 0, 0, NULL },
    { "2024-06-03T00:00", 1, 2024, 6, 3, 0, 0, 0, 1, 0, 0, NULL },
    { "2024-06-03T23:59:59", 1, 2024, 6, 3, 23, 59, 59, 1, 0, 0, NULL },
    { "2024-06-03T24:00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "hour out of range" },
    { "2024-06-03T24:00:00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "hour" },
    { "2024-06-03T10:60", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "minute out of range" },
    { "2024-06-03T10:30:60", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "second" },
    { "2024-06-03T10:30Z", 1, 2024, 6, 3, 10, 30, 0, 1, 1, 0, NULL },
    { "2024-06-03T10:30z", 1, 2024, 6, 3, 10, 30, 0, 1, 1, 0, NULL },
    { "2024-06-03T10:30:15Z", 1, 2024, 6, 3, 10, 30, 15, 1, 1, 0, NULL },
    { "2024-06-03T10:30+05:30", 1, 2024, 6, 3, 10, 30, 0, 1, 1, 330, NULL },
    { "2024-06-03T10:30:00+05:30", 1, 2024, 6, 3, 10, 30, 0, 1, 1, 330, NULL },
    { "2024-06-03T10:30-08:00", 1, 2024, 6, 3, 10, 30, 0, 1, 1, -480, NULL },
    { "2024-06-03T10:30+00:00", 1, 2024, 6, 3, 10, 30, 0, 1, 1, 0, NULL },
    { "2024-06-03T10:30-00:30", 1, 2024, 6, 3, 10, 30, 0, 1, 1, -30, NULL },
    { "2024-06-03T10:30+0530", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30+05", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30+05:3", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30+05:30Z", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30+24:00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "offset" },
    { "2024-06-03T10:30+05:60", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "offset" },
    { "2024-06-03T10:30ZZ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30 Z", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30UTC", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30:00.5", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30:", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10:30:5", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T1030", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03X10:30", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T1a:30", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T10.30", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-02-30T10:30", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "no such day" },
    { "10:30", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "2024-06-03T-1:30", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "ISO 8601" },
    { "+024-06-03", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "YYYY-MM-DD" },
};

static void test_datetime(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof dt_cases / sizeof dt_cases[0]; i++) {
        cs_datetime t;
        const char *why = NULL;
        int rc;
        print_message("case \"%s\"\n", dt_cases[i].in);
        memset(&t, 0x55, sizeof t);
        rc = cs_parse_datetime(str_of(dt_cases[i].in), &t, &why);
        if (!dt_cases[i].ok) {
            assert_int_equal(rc, -1);
            assert_non_null(why);
            if (!strstr(why, dt_cases[i].why))
                fail_msg("why \"%s\" lacks \"%s\"", why, dt_cases[i].why);
            /* why may be NULL */
            assert_int_equal(cs_parse_datetime(str_of(dt_cases[i].in), &t,
                                               NULL), -1);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(t.year, dt_cases[i].y);
        assert_int_equal(t.month, dt_cases[i].mo);
        assert_int_equal(t.day, dt_cases[i].d);
        assert_int_equal(t.hour, dt_cases[i].h);
        assert_int_equal(t.min, dt_cases[i].mi);
        assert_int_equal(t.sec, dt_cases[i].s);
        assert_int_equal(t.has_time, dt_cases[i].has_time);
        assert_int_equal(t.has_tz, dt_cases[i].has_tz);
        assert_int_equal(t.tz_min, dt_cases[i].tz);
    }
}

/* cs_parse_date takes only a date. */
static void test_date_only(void **state)
{
    cs_datetime t;
    const char *why = NULL;
    (void)state;
    assert_int_equal(cs_parse_date(CS_STR("2000-02-29"), &t, &why), 0);
    assert_int_equal(t.year, 2000);
    assert_int_equal(t.has_time, 0);
    assert_int_equal(cs_parse_date(CS_STR("2024-06-03T10:30"), &t, &why), -1);
    assert_non_null(strstr(why, "YYYY-MM-DD"));
    assert_int_equal(cs_parse_date(CS_STR("1900-02-29"), &t, &why), -1);
    assert_non_null(strstr(why, "no such day"));
    assert_int_equal(cs_parse_date(CS_STR("2024-13-01"), &t, NULL), -1);
}

/* Expected day numbers from Python: (date(y,m,d) - date(1970,1,1)).days */
static const struct {
    int y, m, d;
    int32_t days;
} civil_cases[] = {
    { 1970, 1, 1, 0 },
    { 1970, 1, 2, 1 },
    { 1969, 12, 31, -1 },
    { 2000, 2, 29, 11016 },
    { 2000, 3, 1, 11017 },
    { 2024, 2, 29, 19782 },
    { 2024, 6, 3, 19877 },
    { 1900, 3, 1, -25508 },
    { 1600, 3, 1, -135080 },
    { 2400, 2, 29, 157113 },
    { 1, 1, 1, -719162 },
    { 9999, 12, 31, 2932896 },
};

static void test_days_from_civil(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof civil_cases / sizeof civil_cases[0]; i++) {
        int y, m, d;
        char b[16];
        print_message("case %04d-%02d-%02d\n", civil_cases[i].y,
                      civil_cases[i].m, civil_cases[i].d);
        assert_int_equal(cs_days_from_civil(civil_cases[i].y, civil_cases[i].m,
                                            civil_cases[i].d),
                         civil_cases[i].days);
        cs_civil_from_days(civil_cases[i].days, &y, &m, &d);
        assert_int_equal(y, civil_cases[i].y);
        assert_int_equal(m, civil_cases[i].m);
        assert_int_equal(d, civil_cases[i].d);
        assert_int_equal(cs_fmt_date(b, sizeof b, civil_cases[i].days), 10);
        {
            char want[16];
            snprintf(want, sizeof want, "%04d-%02d-%02d", civil_cases[i].y,
                     civil_cases[i].m, civil_cases[i].d);
            assert_string_equal(b, want);
        }
    }
    /* consecutive and invertible over four centuries around the epoch */
    {
        int32_t prev = cs_days_from_civil(1799, 12, 31);
        for (int y = 1800; y <= 2200; y++)
            for (int m = 1; m <= 12; m++)
                for (int d = 1; d <= 31; d++) {
                    char s[40]; /* Any int fits: gcc at -O1 warns otherwise. */
                    cs_datetime t;
                    int yy, mm, dd;
                    snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
                    if (cs_parse_date((cs_str){ s, 10 }, &t, NULL) < 0)
                        continue;
                    int32_t z = cs_days_from_civil(y, m, d);
                    if (z != prev + 1)
                        fail_msg("%s: %d after %d", s, (int)z, (int)prev);
                    cs_civil_from_days(z, &yy, &mm, &dd);
                    if (yy != y || mm != m || dd != d)
                        fail_msg("%s -> %d -> %d-%d-%d", s, (int)z, yy, mm, dd);
                    prev = z;
                }
    }
}

/* Epoch seconds from Python: int(datetime(..., tzinfo=...).timestamp()) */
static const struct {
    const char *in;
    int64_t epoch;
} epoch_cases[] = {
    { "1970-01-01", 0 },
    { "1970-01-01T00:00Z", 0 },
    { "1970-01-01T00:00:01", 1 },
    { "1969-12-31T23:59:59Z", -1 },
    { "2024-06-03", 1717372800 },
    { "2024-06-03T10:30+05:30", 1717390800 },
    { "2024-06-03T05:00Z", 1717390800 },           /* the same instant */
    { "2024-06-03T23:59:59-08:00", 1717487999 },
    { "2024-06-04T07:59:59Z", 1717487999 },
    { "2000-03-01T00:00:00+00:00", 951868800 },
};

static void test_epoch(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof epoch_cases / sizeof epoch_cases[0]; i++) {
        cs_datetime t;
        print_message("case %s\n", epoch_cases[i].in);
        assert_int_equal(cs_parse_datetime(str_of(epoch_cases[i].in), &t, NULL),
                         0);
        assert_true(cs_datetime_epoch(&t) == epoch_cases[i].epoch);
    }
}

/* The sign of a display number that rounds to zero: kept for a value
 * below zero, dropped for -0 and for rounding noise under 1e-12. */
static void test_fmt_fixed_sign(void **state)
{
    static const struct { double v; int d; const char *want; } cases[] = {
        { -0.0016, 2, "-0.00" },  { -0.0, 2, "0.00" },   { 0.0, 2, "0.00" },
        { -1e-13, 2, "0.00" },    { -2e-12, 1, "-0.0" }, { 0.004, 2, "0.00" },
        { -0.04, 1, "-0.0" },     { -0.42, 2, "-0.42" }, { -1.5, 0, "-2" },
        { -0.4, 0, "-0" },        { 1e-13, 3, "0.000" },
    };
    char b[32];
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_fmt_fixed(b, sizeof b, cases[i].v, cases[i].d);
        assert_string_equal(b, cases[i].want);
    }
    cs_fmt_fixed(b, sizeof b, NAN, 2);
    assert_string_equal(b, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_table),
        cmocka_unit_test(test_decimal_negative_zero),
        cmocka_unit_test(test_decimal_rejects),
        cmocka_unit_test(test_decimal_length_delimited),
        cmocka_unit_test(test_decimal_long),
        cmocka_unit_test(test_decimal_differential),
        cmocka_unit_test(test_decimal_fast_path_edges),
        cmocka_unit_test(test_decimal_every_byte),
        cmocka_unit_test(test_decimal_padded),
        cmocka_unit_test(test_decimal_cmp_int),
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_date_only),
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_epoch),
        cmocka_unit_test(test_fmt_fixed_sign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
