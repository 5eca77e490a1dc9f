/* Tests for src/sha256.c: the published test vectors of FIPS 180-4's
 * examples (NIST's "SHA256.pdf", and the million 'a' of FIPS 180-2's
 * appendix B.3) through both rounds, the portable C and the CPU's SHA
 * extensions where it has them; and the two agreeing on random data fed
 * in random pieces, which is where the block-at-a-time and
 * whole-blocks-in-place paths of cs_sha256_update meet. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/sha256.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

/* s made with the rounds named: "plain", or the CPU's (NULL). */
static void init_with(cs_sha256 *s, const char *which)
{
    if (which)
        setenv("CRAMPSTAT_SHA256", which, 1);
    else
        unsetenv("CRAMPSTAT_SHA256");
    cs_sha256_init(s);
    unsetenv("CRAMPSTAT_SHA256");
}

static void hash(const char *which, const void *p, size_t n, size_t piece,
                 char hex[65])
{
    cs_sha256 s;
    const unsigned char *b = p;

    init_with(&s, which);
    for (size_t at = 0; at < n; at += piece)
        cs_sha256_update(&s, b + at, n - at < piece ? n - at : piece);
    cs_sha256_final(&s, hex);
}

static const char *const rounds[2] = { "plain", NULL };

static void test_vectors(void **state)
{
    static const struct { const char *msg, *hex; } v[] = {
        { "",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc",
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    char hex[65];

    (void)state;
    for (int r = 0; r < 2; r++)
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            size_t n = strlen(v[i].msg);
            /* whole, and a byte at a time */
            hash(rounds[r], v[i].msg, n, n ? n : 1, hex);
            assert_string_equal(hex, v[i].hex);
            hash(rounds[r], v[i].msg, n, 1, hex);
            assert_string_equal(hex, v[i].hex);
        }
}

static void test_million_a(void **state)
{
    size_t n = 1000000;
    char *a = malloc(n), hex[65];

    (void)state;
    assert_non_null(a);
    memset(a, 'a', n);
    for (int r = 0; r < 2; r++) {
        hash(rounds[r], a, n, n, hex);
        assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
                                 "f1809a48a497200e046d39ccc7112cd0");
        hash(rounds[r], a, n, 1000, hex);
        assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
                                 "f1809a48a497200e046d39ccc7112cd0");
    }
    free(a);
}

/* The rounds the environment asks for, and the CPU's by default. */
static void test_which(void **state)
{
    cs_sha256 s;

    (void)state;
    init_with(&s, "plain");
    assert_string_equal(cs_sha256_impl(&s), "plain");
    init_with(&s, NULL);
    print_message("this CPU's rounds: %s\n", cs_sha256_impl(&s));
#if defined(__x86_64__) && defined(__GNUC__)
    {
        /* CPUID as the CPU (or valgrind's model of it, which has no SHA)
         * reports it: leaf 7, EBX bit 29 */
        unsigned a, b = 0, c, d;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)))
            assert_string_equal(cs_sha256_impl(&s), "shani");
        else
            assert_string_equal(cs_sha256_impl(&s), "plain");
    }
#endif
}

static uint64_t seed = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* 300 random messages of 0 to 5,000 bytes, each hashed whole by the
 * portable rounds and in random pieces (1 to 200 bytes) by the CPU's:
 * the same digest. */
static void test_rounds_agree(void **state)
{
    unsigned char *m = malloc(5000);

    (void)state;
    assert_non_null(m);
    for (int t = 0; t < 300; t++) {
        size_t n = next() % 5001;
        char want[65], got[65];
        cs_sha256 s;
        for (size_t i = 0; i < n; i++)
            m[i] = (unsigned char)next();
        hash("plain", m, n, n ? n : 1, want);
        init_with(&s, NULL);
        for (size_t at = 0; at < n;) {
            size_t piece = 1 + next() % 200;
            if (piece > n - at)
                piece = n - at;
            cs_sha256_update(&s, m + at, piece);
            at += piece;
        }
        cs_sha256_final(&s, got);
        assert_string_equal(got, want);
    }
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_which),
        cmocka_unit_test(test_rounds_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
