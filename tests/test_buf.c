/* Tests of src/buf.c and buf.h: the growable buffer and its sticky error
 * (the expected lengths and messages are counted by hand from the
 * appends), and the trimming of a string. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/buf.h>

/* After the cap is hit, every append is a no-op returning the first
 * code, the bytes before stay, and the check says why. */
static void test_sticky_cap(void **state)
{
    cs_buf b;
    cs_error err = {0};

    (void)state;
    cs_buf_init(&b, 10);
    assert_int_equal(cs_buf_puts(&b, "hello"), CS_OK);
    assert_int_equal(cs_buf_check(&b, &err), CS_OK);
    assert_int_equal(err.code, CS_OK);
    /* 5 + 6 = 11 bytes > 10. */
    assert_int_equal(cs_buf_puts(&b, "world!"), CS_ELIMIT);
    assert_int_equal(cs_buf_error(&b), CS_ELIMIT);
    /* Each of these would fit on its own: the error sticks. */
    assert_int_equal(cs_buf_putc(&b, 'x'), CS_ELIMIT);
    assert_int_equal(cs_buf_append(&b, "ab", 2), CS_ELIMIT);
    assert_int_equal(cs_buf_printf(&b, "%d", 7), CS_ELIMIT);
    assert_int_equal(cs_buf_reserve(&b, 0), CS_ELIMIT);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.ptr, "hello", 6);
    assert_int_equal(cs_buf_check(&b, &err), CS_ELIMIT);
    assert_int_equal(err.code, CS_ELIMIT);
    assert_string_equal(err.msg, "text over its cap of 10 bytes (11 wanted)");
    cs_buf_dispose(&b);
}

/* putc's fast path (room left in the allocation) must not append after
 * a failure either: 10 bytes in a 256-byte allocation, then 291 more
 * over the cap of 300. */
static void test_putc_after_failure(void **state)
{
    cs_buf b;
    char big[291];
    cs_error err = {0};

    (void)state;
    memset(big, 'y', sizeof big);
    cs_buf_init(&b, 300);
    assert_int_equal(cs_buf_append(&b, "0123456789", 10), CS_OK);
    assert_true(b.cap > 11);
    assert_int_equal(cs_buf_append(&b, big, sizeof big), CS_ELIMIT);
    assert_int_equal(cs_buf_putc(&b, 'z'), CS_ELIMIT);
    assert_int_equal(b.len, 10);
    assert_int_equal(cs_buf_check(&b, &err), CS_ELIMIT);
    assert_string_equal(err.msg, "text over its cap of 300 bytes (301 wanted)");
    cs_buf_dispose(&b);
}

/* Exactly the cap fits; a byte more does not. */
static void test_exact_cap(void **state)
{
    cs_buf b;

    (void)state;
    cs_buf_init(&b, 5);
    assert_int_equal(cs_buf_printf(&b, "%s", "12345"), CS_OK);
    assert_int_equal(b.len, 5);
    assert_int_equal(cs_buf_putc(&b, '6'), CS_ELIMIT);
    assert_string_equal(b.ptr, "12345");
    cs_buf_dispose(&b);
}

/* reset (a reader's next record) and take start clean. */
static void test_reset_and_take_clear(void **state)
{
    cs_buf b;
    cs_error err = {0};
    size_t n;
    char *p;

    (void)state;
    cs_buf_init(&b, 4);
    assert_int_equal(cs_buf_puts(&b, "abcde"), CS_ELIMIT);
    cs_buf_reset(&b);
    assert_int_equal(cs_buf_error(&b), CS_OK);
    assert_int_equal(cs_buf_puts(&b, "ab"), CS_OK);
    assert_int_equal(cs_buf_check(&b, &err), CS_OK);
    assert_string_equal(b.ptr, "ab");
    assert_int_equal(cs_buf_puts(&b, "cde"), CS_ELIMIT);
    p = cs_buf_take(&b, &n);
    assert_int_equal(n, 2);
    assert_string_equal(p, "ab");
    free(p);
    assert_int_equal(cs_buf_error(&b), CS_OK);
    assert_int_equal(cs_buf_puts(&b, "wxyz"), CS_OK);
    cs_buf_dispose(&b);
}

/* A grown buffer (cs_buf_init_grown, memory from grow.c): 3 MiB appended
 * in pieces of every length from 1 to 4099 bytes read back byte for byte;
 * its cap holds as a malloc'd buffer's does; take hands over a copy that
 * free() takes (a grow.c block given to free() is caught by the
 * sanitizer run), and the buffer goes on. */
static void test_grown_buffer(void **state)
{
    cs_buf b;
    char piece[4100];
    size_t n = 0, k = 1, len;
    char *p;

    (void)state;
    cs_buf_init_grown(&b, (size_t)3 << 20);
    while (n < ((size_t)3 << 20)) {
        size_t m = k < ((size_t)3 << 20) - n ? k : ((size_t)3 << 20) - n;
        for (size_t i = 0; i < m; i++)
            piece[i] = (char)('a' + (n + i) % 23);
        assert_int_equal(cs_buf_append(&b, piece, m), CS_OK);
        n += m;
        k = k % 4099 + 1;
    }
    assert_int_equal(b.len, (size_t)3 << 20);
    for (size_t i = 0; i < b.len; i++)
        if (b.ptr[i] != (char)('a' + i % 23))
            fail_msg("byte %zu is %c", i, b.ptr[i]);
    assert_int_equal(cs_buf_putc(&b, 'x'), CS_ELIMIT);
    cs_buf_reset(&b);
    assert_int_equal(cs_buf_puts(&b, "wave"), CS_OK);
    p = cs_buf_take(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 4);
    assert_string_equal(p, "wave");
    free(p);
    assert_int_equal(b.len, 0);
    assert_int_equal(cs_buf_puts(&b, "next"), CS_OK);
    assert_string_equal(b.ptr, "next");
    cs_buf_dispose(&b);
}

/* The first failure is the one reported, even when err is checked late
 * and something else went wrong in between. */
static void test_first_error_kept(void **state)
{
    cs_buf b;
    cs_error err = {0};

    (void)state;
    cs_buf_init(&b, 3);
    assert_int_equal(cs_buf_puts(&b, "abcd"), CS_ELIMIT);
    assert_int_equal(cs_buf_puts(&b, "abcdefgh"), CS_ELIMIT);
    assert_int_equal(cs_buf_check(&b, &err), CS_ELIMIT);
    assert_string_equal(err.msg, "text over its cap of 3 bytes (4 wanted)");
    cs_buf_dispose(&b);
}

/* Why a renderer failed: err's own reason first, then the buffer's, then
 * out of memory. */
static void test_failed_reason(void **state)
{
    cs_buf b;
    cs_error err = {0};

    (void)state;
    cs_buf_init(&b, 3);
    assert_int_equal(cs_buf_failed(&b, &err), CS_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    memset(&err, 0, sizeof err);
    cs_buf_puts(&b, "four");
    assert_int_equal(cs_buf_failed(&b, &err), CS_ELIMIT);
    assert_string_equal(err.msg, "text over its cap of 3 bytes (4 wanted)");
    memset(&err, 0, sizeof err);
    cs_error_set(&err, CS_EDATA, "bad state");
    assert_int_equal(cs_buf_failed(&b, &err), CS_EDATA);
    assert_string_equal(err.msg, "bad state");
    cs_buf_dispose(&b);
}

/* cs_str_trim against a second way of trimming: the first and last
 * indexes that are neither a space nor a tab, found by counting. Every
 * string of up to 5 bytes over an alphabet with the two trimmed bytes,
 * bytes just below and above ' ' and a letter (7^5 + ... + 1 strings),
 * each at the start of a buffer whose next byte is not part of it. */
static void test_trim_every_short_string(void **state)
{
    static const char alpha[] = { ' ', '\t', '\x1f', '\n', '!', 'a', '\0' };
    enum { K = sizeof alpha, MAXLEN = 5 };
    char text[MAXLEN + 1];
    unsigned long cases = 0;

    (void)state;
    for (size_t len = 0; len <= MAXLEN; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= K;
        for (size_t code = 0; code < total; code++) {
            size_t c = code, first = 0, end;
            for (size_t i = 0; i < len; i++, c /= K)
                text[i] = alpha[c % K];
            text[len] = ' ';   /* beyond the string: never looked at */
            while (first < len && (text[first] == ' ' || text[first] == '\t'))
                first++;
            end = len;
            while (end > first && (text[end - 1] == ' ' || text[end - 1] == '\t'))
                end--;
            cs_str got = cs_str_trim((cs_str){ text, len });
            if (got.ptr != text + first || got.len != end - first)
                fail_msg("length %zu, case %zu: got [%td, +%zu), want [%zu, %zu)",
                         len, code, got.ptr - text, got.len, first, end);
            cases++;
        }
    }
    assert_int_equal(cases, 1 + 7 + 49 + 343 + 2401 + 16807);
}

/* cs_bytes_eq against memcmp: every length from 0 to 40, equal bytes
 * and a difference at each position in turn, each with a difference of
 * one bit and of the whole byte, at two alignments. */
static void test_bytes_eq_every_position(void **state)
{
    unsigned char a[48], b[48];

    (void)state;
    for (int off = 0; off < 2; off++)
        for (size_t n = 0; n <= 40; n++) {
            for (size_t i = 0; i < n; i++)
                a[off + i] = b[off + i] = (unsigned char)(i * 37 + n);
            assert_true(cs_bytes_eq(a + off, b + off, n));
            for (size_t i = 0; i < n; i++)
                for (int k = 0; k < 3; k++) {
                    static const unsigned char flips[3] = { 0x01, 0x80, 0xff };
                    b[off + i] ^= flips[k];
                    assert_int_equal(cs_bytes_eq(a + off, b + off, n),
                                     memcmp(a + off, b + off, n) == 0);
                    assert_false(cs_bytes_eq(a + off, b + off, n));
                    b[off + i] = a[off + i];
                }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sticky_cap),
        cmocka_unit_test(test_putc_after_failure),
        cmocka_unit_test(test_exact_cap),
        cmocka_unit_test(test_reset_and_take_clear),
        cmocka_unit_test(test_grown_buffer),
        cmocka_unit_test(test_first_error_kept),
        cmocka_unit_test(test_failed_reason),
        cmocka_unit_test(test_trim_every_short_string),
        cmocka_unit_test(test_bytes_eq_every_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
