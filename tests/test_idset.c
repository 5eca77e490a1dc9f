/* Tests of src/idset.c: the session-id set that finds duplicates in
 * bounded memory (16-byte fingerprints, at most 32 bytes per id once the
 * table has grown), and the hash behind it. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/idset.h>
#include "internal.h"

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static cs_str id_of(char *buf, size_t cap, const char *prefix, long i)
{
    int n = snprintf(buf, cap, "%s%ld", prefix, i);
    return (cs_str){ buf, (size_t)n };
}

/* Add / contains: a sequence of adds with the expected result. */
static const struct {
    const char *id;
    size_t len;       /* bytes of id used (ids may hold NULs) */
    int added;        /* 1 new, 0 already present */
} seq[] = {
    { "S1", 2, 1 },
    { "S1", 2, 0 },
    { "s1", 2, 1 },           /* case matters: ids are bytes */
    { "S1 ", 3, 1 },          /* so do spaces (callers trim) */
    { "", 0, 1 },             /* the empty id is an id like any other */
    { "", 0, 0 },
    { "S10", 3, 1 },
    { "S1\0" "0", 4, 1 },     /* a NUL inside the length counts */
    { "S1\0" "1", 4, 1 },
    { "S1\0" "0", 4, 0 },
    { "S10", 3, 0 },
    { "12345678", 8, 1 },     /* exactly one 8-byte block ... */
    { "123456789", 9, 1 },    /* ... and one byte of tail */
    { "12345678\0", 9, 1 },   /* a NUL tail differs from no tail */
    { "12345678", 8, 0 },
    { "\xe6\x97\xa5\xe6\x9c\xac", 6, 1 },
    { "\xe6\x97\xa5\xe6\x9c\xac", 6, 0 },
};

static void test_idset_add_contains(void **state)
{
    cs_idset *s = NULL;
    size_t count = 0;
    (void)state;
    assert_int_equal(cs_idset_create(&s), CS_OK);
    assert_non_null(s);
    assert_int_equal(cs_idset_count(s), 0);
    for (size_t i = 0; i < NELEM(seq); i++) {
        print_message("case %zu\n", i);
        assert_int_equal(cs_idset_add(s, (cs_str){ seq[i].id, seq[i].len }),
                         seq[i].added);
        count += (size_t)seq[i].added;
        assert_int_equal(cs_idset_count(s), count);
    }
    cs_idset_free(s);
    cs_idset_free(NULL);   /* a no-op */
}

/* One million distinct ids are all new; adding them again finds every
 * one; memory stays within 32 bytes per id once past the first table,
 * including right after each growth (its worst moment). */
/* Ids that do not end in a digit take the fingerprint path. */
static cs_str id_fp(char *buf, size_t cap, const char *prefix, long i)
{
    int n = snprintf(buf, cap, "%s%ld.", prefix, i);
    return (cs_str){ buf, (size_t)n };
}

static void test_idset_million(void **state)
{
    const long n = 1000000;
    cs_idset *s = NULL;
    char b[32];
    size_t prev_bytes, growths = 0;
    double worst = 0;
    (void)state;

    assert_int_equal(cs_idset_create(&s), CS_OK);
    prev_bytes = cs_idset_bytes(s);
    for (long i = 0; i < n; i++) {
        size_t bytes;
        if (cs_idset_add(s, id_fp(b, sizeof b, "session-", i)) != 1)
            fail_msg("id %ld not new", i);
        bytes = cs_idset_bytes(s);
        if (bytes != prev_bytes) {
            /* just grew: the fewest ids for this many bytes */
            double per = (double)bytes / (double)cs_idset_count(s);
            growths++;
            if (per > worst)
                worst = per;
            if (per > 32.0)
                fail_msg("%.2f bytes per id right after growth at %zu ids",
                         per, cs_idset_count(s));
            prev_bytes = bytes;
        }
        if (i + 1 == 1000 || i + 1 == 10000 || i + 1 == 123457 ||
            i + 1 == 500000 || i + 1 == n) {
            double per = (double)bytes / (double)(i + 1);
            print_message("%ld ids: %zu bytes, %.2f per id\n", i + 1, bytes,
                          per);
            assert_true(per <= 32.0);
            assert_true(per >= 16.0);   /* a fingerprint is 16 bytes */
        }
    }
    print_message("%zu growths, worst %.2f bytes per id\n", growths, worst);
    assert_true(growths >= 10);
    assert_int_equal(cs_idset_count(s), (size_t)n);
    for (long i = 0; i < n; i++)
        if (cs_idset_add(s, id_fp(b, sizeof b, "session-", i)) != 0)
            fail_msg("id %ld added twice", i);
    assert_int_equal(cs_idset_count(s), (size_t)n);
    /* near misses are still new */
    assert_int_equal(cs_idset_add(s, id_fp(b, sizeof b, "session-", n)), 1);
    assert_int_equal(cs_idset_add(s, id_fp(b, sizeof b, "Session-", 0)), 1);
    assert_int_equal(cs_idset_add(s, id_fp(b, sizeof b, "session--", 1)), 1);
    cs_idset_free(s);
}

/* Interleaved adds and re-adds across growths keep their answers. */
static void test_idset_interleaved(void **state)
{
    cs_idset *s = NULL;
    char b[32];
    (void)state;
    assert_int_equal(cs_idset_create(&s), CS_OK);
    for (long i = 0; i < 50000; i++) {
        assert_int_equal(cs_idset_add(s, id_of(b, sizeof b, "", i)), 1);
        /* a sample of the earlier ids is still there */
        if (i % 97 == 0)
            for (long k = 0; k <= i; k += 7 * 131)
                assert_int_equal(cs_idset_add(s, id_of(b, sizeof b, "", k)), 0);
    }
    assert_int_equal(cs_idset_count(s), 50000);
    cs_idset_free(s);
}

/* A reference set of whole ids (chained hash of copies), to compare the
 * set's answers with. */
typedef struct ref_node { struct ref_node *next; size_t len; char id[]; } ref_node;
#define REF_BUCKETS (1 << 20)

static int ref_add(ref_node **t, cs_str id)
{
    size_t h = (size_t)(cs_hash64(id.ptr, id.len, 7) & (REF_BUCKETS - 1));
    ref_node *n;
    for (n = t[h]; n; n = n->next)
        if (n->len == id.len && memcmp(n->id, id.ptr, id.len) == 0)
            return 0;
    n = malloc(sizeof *n + id.len);
    assert_non_null(n);
    n->len = id.len;
    memcpy(n->id, id.ptr, id.len);
    n->next = t[h];
    t[h] = n;
    return 1;
}

static void ref_free(ref_node **t)
{
    for (size_t i = 0; i < REF_BUCKETS; i++)
        while (t[i]) {
            ref_node *n = t[i];
            t[i] = n->next;
            free(n);
        }
    free(t);
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A numbered id's family as the tests split it: its text before the
 * trailing digits, and their count. */
typedef struct family_ref {
    size_t len, digits;
    char text[80];
} family_ref;

static int family_seen(const family_ref *f, size_t n, const char *id,
                       size_t len, size_t digits)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].len == len && f[i].digits == digits &&
            memcmp(f[i].text, id, len) == 0)
            return 1;
    return 0;
}

/* An id prepared as a fingerprint carries cs_hash64 of its bytes with
 * the set's two seeds (the set hashes both in one pass). */
static void expect_fingerprint(cs_idfp fp, cs_str id)
{
    uint64_t a = cs_hash64(id.ptr, id.len, 0x243f6a8885a308d3ULL),
             b = cs_hash64(id.ptr, id.len, 0x13198a2e03707344ULL);
    if (!(a | b))
        b = 1;
    if (fp.id || fp.a != a || fp.b != b)
        fail_msg("id %.*s: prepared as %llx %llx, not its fingerprint",
                 (int)id.len, id.ptr, (unsigned long long)fp.a,
                 (unsigned long long)fp.b);
}

/* Numbered ids of many shapes, in sequence, scattered and repeated, with
 * the near misses that must stay apart ("S1", "S01", "S001"; 17 and 18
 * digits; a text of 64 and 65 bytes), against the reference. The
 * scattered ones outgrow the block budget, so the set switches to
 * fingerprints part way: both halves are checked. */
static void test_idset_numbered(void **state)
{
    static const char *const pre[] = {
        "S", "s", "", "run-", "S0", "P0000001-S", "\xe6\x97\xa5",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000000000000x",
        "a b", "S\0"
    };
    ref_node **ref = calloc(REF_BUCKETS, sizeof *ref);
    cs_idset *s = NULL;
    /* the (text, digit count) pairs prepared as numbered so far: the
     * set keeps 256 families at most */
    static family_ref fams[256];
    size_t nfam = 0;
    uint64_t x = 88172645463325252ULL;
    unsigned long next = 0, same = 0;
    char b[160];
    (void)state;

    assert_non_null(ref);
    assert_int_equal(cs_idset_create(&s), CS_OK);
    for (long k = 0; k < 1500000; k++) {
        const char *p = pre[rnd(&x) % NELEM(pre)];
        size_t plen = strlen(p) + (p == pre[NELEM(pre) - 1]);
        int digits = 1 + (int)(rnd(&x) % 19);
        uint64_t num;
        int n, want;
        cs_str id;
        switch (rnd(&x) % 4) {
        case 0: num = next++; break;                       /* in sequence */
        case 1: num = rnd(&x); break;                     /* scattered */
        case 2: num = rnd(&x) % 2000; break;              /* repeats */
        default: num = next > 10 ? next - rnd(&x) % 10 : 0; break;
        }
        memcpy(b, p, plen);
        /* zero-padded to the digit count (more digits if it needs them) */
        n = snprintf(b + plen, sizeof b - plen, "%0*llu", digits,
                     (unsigned long long)(digits < 19 ? num % 10000000000000000000ULL : num));
        id = (cs_str){ b, plen + (size_t)n };
        want = ref_add(ref, id);
        if (k % 2) {
            if (cs_idset_add(s, id) != want)
                fail_msg("id %.*s: expected %d", (int)id.len, id.ptr, want);
        } else {
            cs_idfp fp = cs_idset_prepare(s, id);
            /* A numbered id travels as its number and its split: the
             * trailing digits (at most 17) after at most 64 bytes,
             * counted here one byte at a time. */
            size_t at = id.len;
            uint64_t ref_num = 0, scale = 1;
            while (at > 0 && id.len - at < 17 &&
                   id.ptr[at - 1] >= '0' && id.ptr[at - 1] <= '9') {
                at--;
                ref_num += (uint64_t)(id.ptr[at] - '0') * scale;
                scale *= 10;
            }
            if (at < id.len && at <= 64 && !fp.id) {
                /* Prepared as a fingerprint: only an id of a family the
                 * set never kept (it makes none once frozen), and the
                 * fingerprint is the id's. */
                if (family_seen(fams, nfam, id.ptr, at, id.len - at))
                    fail_msg("id %.*s: its family was kept, yet it was "
                             "prepared as a fingerprint", (int)id.len,
                             id.ptr);
                expect_fingerprint(fp, id);
            } else if (at < id.len && at <= 64) {
                if (!family_seen(fams, nfam, id.ptr, at, id.len - at)) {
                    assert_true(nfam < NELEM(fams));
                    fams[nfam].len = at;
                    fams[nfam].digits = id.len - at;
                    memcpy(fams[nfam].text, id.ptr, at);
                    nfam++;
                }
                if (fp.a != ref_num ||
                    fp.b != ((uint64_t)at | (uint64_t)(id.len - at) << 8))
                    fail_msg("id %.*s: prepared as %llu, split %llu; expected "
                             "%llu, %zu + %zu", (int)id.len, id.ptr,
                             (unsigned long long)fp.a,
                             (unsigned long long)fp.b,
                             (unsigned long long)ref_num, at, id.len - at);
            } else if (fp.id) {
                fail_msg("id %.*s: prepared as numbered", (int)id.len, id.ptr);
            } else {
                expect_fingerprint(fp, id);
            }
            if (cs_idset_add_prepared(s, fp) != want)
                fail_msg("id %.*s: expected %d", (int)id.len, id.ptr, want);
        }
        same += !want;
    }
    print_message("%lu repeats, %zu distinct, %zu bytes\n", same,
                  cs_idset_count(s), cs_idset_bytes(s));
    assert_true(same > 100000);
    assert_int_equal(cs_idset_count(s), 1500000 - same);
    /* Scattered numbers fill the fingerprint tables: still within the
     * budget of 32 bytes an id, and more than blocks alone would take. */
    assert_true(cs_idset_bytes(s) <= 32 * cs_idset_count(s));
    assert_true(cs_idset_bytes(s) >= 16 * 300000);
    cs_idset_free(s);
    ref_free(ref);
}

/* Runs: ids of one text and digit count, mostly in sequence, as
 * exercise files number their sessions, broken by repeats, jumps (over a
 * block of 512, over the last 8 digits), and near misses of the same
 * length: another text, a higher digit changed, a letter among the last
 * 8 digits, a text that ends in digits. Texts up to 64 bytes and numbers
 * of 8 to 19 digits; part way, scattered numbers stop the making of
 * blocks, so that later runs go to the fingerprints. Each answer against
 * the reference, and the count after each. */
static void test_idset_runs(void **state)
{
    static const char *const pre[] = {
        "S", "s", "", "run-", "S0", "P0000001-S", "x9",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "S\0"
    };
    ref_node **ref = calloc(REF_BUCKETS, sizeof *ref);
    cs_idset *s = NULL;
    uint64_t x = 0x2545f4914f6cdd1dULL;
    unsigned long distinct = 0, adds = 0;
    char b[160];
    (void)state;

    assert_non_null(ref);
    assert_int_equal(cs_idset_create(&s), CS_OK);
    /* Blocks judged after 4,096 of them (the default is 16 MiB of
     * them), so that the scattered numbers below, one id in three after
     * round 2000, stop them part way: blocks are judged against every
     * numbered id, and it takes 131,072 blocks to outweigh the runs'. */
    cs__idset_blocks_free(s, 4096);
    /* The scattered numbers' family, made before the near misses below
     * fill the set's 256 families. */
    assert_int_equal(ref_add(ref, (cs_str){ "Z00000000000000000", 18 }), 1);
    assert_int_equal(cs_idset_add(s, (cs_str){ "Z00000000000000000", 18 }), 1);
    distinct++;
    adds++;
    for (int round = 0; round < 3000; round++) {
        size_t k = (size_t)(rnd(&x) % NELEM(pre));
        const char *p = pre[k];
        size_t plen = strlen(p) + (k == NELEM(pre) - 1);
        int digits = 8 + (int)(rnd(&x) % 12);
        uint64_t num = rnd(&x) % 3 == 0 ? 99999990 + rnd(&x) % 20
                                         : rnd(&x) % 1000000000;
        long len = 1 + (long)(rnd(&x) % 700);
        for (long i = 0; i < len; i++) {
            uint64_t r = rnd(&x) % 100;
            size_t n;
            cs_str id;
            if (r < 80)
                num++;
            else if (r < 85)
                ;                                     /* a repeat */
            else if (r < 88)
                num += 1 + rnd(&x) % 2000;            /* a jump */
            else if (r < 90)
                num -= num > 600 ? rnd(&x) % 600 : 0; /* back */
            else if (r < 91)
                num += 100000000;                     /* past the last 8 */
            memcpy(b, p, plen);
            n = plen + (size_t)snprintf(b + plen, sizeof b - plen, "%0*llu",
                                        digits, (unsigned long long)num);
            if (r >= 94) {
                /* a near miss, of the same length */
                size_t at = rnd(&x) % n;
                switch (rnd(&x) % 8) {
                case 0: b[n - 1 - rnd(&x) % 8] = 'x'; break;
                case 1: b[at] = b[at] == '1' ? '2' : '1'; break;
                case 2: if (plen) b[0] ^= 0x20; break;
                case 3: b[n - 8] = '/'; break;
                case 4: b[n - 1]++; break;   /* after a 9, a ':' */
                case 5: memset(b + n - 8, 0, 8); break;  /* NULs */
                default: b[at] = (char)('0' + rnd(&x) % 10); break;
                }
            }
            if (round > 2000 && i % 2 == 0) {
                /* scattered numbers of another text: blocks stop */
                char c[40];
                cs_str sc = { c, (size_t)snprintf(c, sizeof c, "Z%017llu",
                    (unsigned long long)(rnd(&x) % 100000000000000000ULL)) };
                int want = ref_add(ref, sc);
                distinct += (unsigned long)want;
                adds++;
                if (cs_idset_add(s, sc) != want)
                    fail_msg("id %.*s: expected %d", (int)sc.len, sc.ptr, want);
            }
            id = (cs_str){ b, n };
            {
                int want = ref_add(ref, id);
                /* Most rounds through the inline path of a run's next
                 * id, the others through the call alone. */
                int got = round % 4 == 3 ? cs_idset_add(s, id)
                                         : cs__idset_add(s, id);
                distinct += (unsigned long)want;
                adds++;
                if (got != want || cs_idset_count(s) != distinct)
                    fail_msg("round %d, id %.*s: expected %d, count %lu",
                             round, (int)id.len, id.ptr, want, distinct);
            }
        }
    }
    print_message("%lu adds, %lu distinct, %zu bytes\n", adds, distinct,
                  cs_idset_bytes(s));
    assert_int_equal(cs_idset_count(s), distinct);
    assert_true(distinct < adds);
    assert_true(cs__idset_frozen(s));
    cs_idset_free(s);
    ref_free(ref);
}

/* Runs up to the end of their last eight digits and of a block (and
 * one past it), each followed by its near misses of the same length
 * (the last eight bytes NULs, ':' after a 9) and then the next numbers,
 * against the reference. */
/* UUIDs: hex text that often ends in digits, so each id splits into a
 * text of its own and a number, a family of its own. The set keeps 256
 * families; past them such ids go to the fingerprints, while the
 * numbered run that started before them keeps its family. 200,000 UUIDs
 * (a tenth of them again), and a run of "S" ids among them, in both ways
 * of adding, against the reference. */
static void test_idset_uuids(void **state)
{
    ref_node **ref = calloc(REF_BUCKETS, sizeof *ref);
    cs_idset *s = NULL;
    uint64_t x = 0x9e3779b97f4a7c15ULL, kept[64] = { 0 };
    unsigned long same = 0, uuids = 0;
    char b[64];
    (void)state;

    assert_non_null(ref);
    assert_int_equal(cs_idset_create(&s), CS_OK);
    for (long k = 0; k < 220000; k++) {
        cs_str id;
        int want, got;
        if (k % 11 == 0) {
            id = id_of(b, sizeof b, "S", 10000000 + k / 11);
        } else {
            uint64_t hi, lo;
            if (k % 10 == 3 && uuids > 64) {
                hi = kept[rnd(&x) % 64];    /* one seen before */
                lo = hi * 0x2545f4914f6cdd1dULL;
            } else {
                hi = rnd(&x);
                lo = hi * 0x2545f4914f6cdd1dULL;
                kept[uuids++ % 64] = hi;
            }
            snprintf(b, sizeof b, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                     (unsigned long long)(hi >> 32),
                     (unsigned long long)(hi >> 16 & 0xffff),
                     (unsigned long long)(hi & 0xfff),
                     (unsigned long long)(lo >> 52),
                     (unsigned long long)(lo & 0xffffffffffffULL));
            id = (cs_str){ b, 36 };
        }
        want = ref_add(ref, id);
        got = k % 2 ? cs_idset_add(s, id)
                    : cs_idset_add_prepared(s, cs_idset_prepare(s, id));
        if (got != want)
            fail_msg("id %.*s (%ld): %d, expected %d", (int)id.len, id.ptr, k,
                     got, want);
        same += !want;
    }
    print_message("%lu repeats, %zu distinct\n", same, cs_idset_count(s));
    assert_true(same > 10000);
    assert_int_equal(cs_idset_count(s), 220000 - same);
    /* The run's ids all again: present. */
    for (long k = 0; k < 220000; k += 11)
        assert_int_equal(cs_idset_add(s, id_of(b, sizeof b, "S",
                                                10000000 + k / 11)), 0);
    cs_idset_free(s);
    ref_free(ref);
}

/* Numbered ids in time order: each session's number is fixed, but the
 * rows come by time, so the numbers arrive scattered over the whole range
 * and fill it in. 3,000,000 ids S003000000..S005999999 (5,860 blocks of
 * 512 numbers) in an order that visits the range with a stride, so that
 * the first few thousand take a block each; the blocks hold them all:
 * under 1 MiB (a fingerprint each would be 48 MB or more), every one
 * found again, none made twice. */
static void test_idset_time_order(void **state)
{
    const long n = 3000000, step = 506819;   /* coprime to n */
    cs_idset *s = NULL;
    char b[32];
    (void)state;

    assert_int_equal(cs_idset_create(&s), CS_OK);
    for (long i = 0, v = 0; i < n; i++, v = (v + step) % n)
        if (cs_idset_add(s, id_of(b, sizeof b, "S00", 3000000 + v)) != 1)
            fail_msg("S00%ld not new", 3000000 + v);
    print_message("%ld ids: %zu bytes\n", n, cs_idset_bytes(s));
    assert_false(cs__idset_frozen(s));
    assert_true(cs_idset_bytes(s) < 1u << 20);
    assert_int_equal(cs_idset_count(s), (size_t)n);
    for (long v = 0; v < n; v += 3)
        assert_int_equal(cs_idset_add(s, id_of(b, sizeof b, "S00", 3000000 + v)),
                         0);
    assert_int_equal(cs_idset_count(s), (size_t)n);
    cs_idset_free(s);
}

static void test_idset_run_ends(void **state)
{
    static const char *const pre[] = { "S", "", "run-0", "P00001-" };
    static const unsigned long long end[] = {
        99999999, 199999999, 511, 1023, 99999999999ULL, 1000000511
    };
    ref_node **ref = calloc(REF_BUCKETS, sizeof *ref);
    cs_idset *s = NULL;
    char b[64];
    (void)state;

    assert_non_null(ref);
    assert_int_equal(cs_idset_create(&s), CS_OK);
    for (size_t k = 0; k < NELEM(pre); k++)
        for (size_t e = 0; e < NELEM(end); e++)
            for (int miss = 0; miss < 3; miss++)
                for (unsigned long long num = end[e] - 20; num < end[e] + 5;
                     num++) {
                    /* each kind of near miss after a run of its own */
                    int n = snprintf(b, sizeof b, "%s%c%011llu", pre[k],
                                     'a' + miss, num);
                    cs_str id = { b, (size_t)n };
                    int want = ref_add(ref, id);
                    if (cs__idset_add(s, id) != want)
                        fail_msg("%s: expected %d", b, want);
                    if (num == end[e] && miss) {
                        if (miss == 1)
                            memset(b + n - 8, 0, 8);
                        else
                            b[n - 1]++;
                        want = ref_add(ref, id);
                        if (cs__idset_add(s, id) != want)
                            fail_msg("near miss %d of %s%c%011llu: expected "
                                     "%d", miss, pre[k], 'a' + miss, num, want);
                    }
                }
    assert_true(cs_idset_count(s) > 0);
    cs_idset_free(s);
    ref_free(ref);
}

/* Ids numbered in sequence cost about a bit each: 5 million in under
 * 2 MB (blocks of 512 ids are 64 bytes, plus their table and the family
 * list), where fingerprints would take 100 MB or more. */
static void test_idset_sequence_memory(void **state)
{
    cs_idset *s = NULL;
    char b[32];
    (void)state;

    assert_int_equal(cs_idset_create(&s), CS_OK);
    for (long i = 1; i <= 5000000; i++)
        if (cs_idset_add(s, (cs_str){ b, (size_t)snprintf(b, sizeof b,
                                                          "S%09ld", i) }) != 1)
            fail_msg("S%09ld not new", i);
    print_message("5M ids: %zu bytes\n", cs_idset_bytes(s));
    assert_true(cs_idset_bytes(s) < 2u << 20);
    for (long i = 1; i <= 5000000; i += 7)
        assert_int_equal(cs_idset_add(s, (cs_str){ b, (size_t)snprintf(
                             b, sizeof b, "S%09ld", i) }), 0);
    /* same numbers, other spellings: other ids */
    assert_int_equal(cs_idset_add(s, (cs_str){ "S1", 2 }), 1);
    assert_int_equal(cs_idset_add(s, (cs_str){ "S0000000001", 11 }), 1);
    assert_int_equal(cs_idset_add(s, (cs_str){ "s000000001", 10 }), 1);
    assert_int_equal(cs_idset_add(s, (cs_str){ "000000001", 9 }), 1);
    assert_int_equal(cs_idset_add(s, (cs_str){ "S000000001", 10 }), 0);
    assert_int_equal(cs_idset_count(s), 5000004);
    cs_idset_free(s);
}

/* cs_hash64: deterministic, seed- and length-sensitive, and spread out:
 * each output bit is set about half the time and the top bits fill
 * buckets evenly (chi-square) for sequential ids. */
static void test_hash64(void **state)
{
    enum { N = 200000, BUCKETS = 1024 };
    static unsigned counts[BUCKETS];
    unsigned long ones[64] = {0};
    char b[32];
    double chi2 = 0, expect = (double)N / BUCKETS;
    (void)state;

    assert_true(cs_hash64("abc", 3, 1) == cs_hash64("abc", 3, 1));
    assert_true(cs_hash64("abc", 3, 1) != cs_hash64("abc", 3, 2));
    assert_true(cs_hash64("abc", 3, 1) != cs_hash64("abd", 3, 1));
    assert_true(cs_hash64("abc\0", 4, 1) != cs_hash64("abc", 3, 1));
    assert_true(cs_hash64("", 0, 1) != cs_hash64("", 0, 2));
    assert_true(cs_hash64("12345678", 8, 0) != cs_hash64("1234567", 7, 0));
    assert_true(cs_hash64("1234567812345678", 16, 0) !=
                cs_hash64("12345678", 8, 0));

    memset(counts, 0, sizeof counts);
    for (long i = 0; i < N; i++) {
        cs_str id = id_of(b, sizeof b, "P", i);
        uint64_t h = cs_hash64(id.ptr, id.len, 0x243f6a8885a308d3ULL);
        counts[h >> 54]++;
        for (int k = 0; k < 64; k++)
            ones[k] += (h >> k) & 1;
    }
    for (int k = 0; k < 64; k++) {
        double share = (double)ones[k] / N;
        if (fabs(share - 0.5) > 0.01)
            fail_msg("bit %d set in %.4f of hashes", k, share);
    }
    for (int i = 0; i < BUCKETS; i++)
        chi2 += (counts[i] - expect) * (counts[i] - expect) / expect;
    /* 1023 degrees of freedom: mean 1023, sd about 45; 1300 is > 6 sd */
    print_message("chi-square over %d buckets: %.1f\n", BUCKETS, chi2);
    assert_true(chi2 < 1300);
    assert_true(chi2 > 750);   /* too even would be suspicious too */

    /* avalanche: flipping one input bit flips about half the output bits */
    {
        unsigned long flips = 0, trials = 0;
        for (long i = 0; i < 2000; i++) {
            unsigned char in[12];
            uint64_t h0;
            memset(in, 0, sizeof in);
            memcpy(in, &i, sizeof i < sizeof in ? sizeof i : sizeof in);
            h0 = cs_hash64(in, sizeof in, 7);
            for (int bit = 0; bit < 96; bit++) {
                in[bit / 8] ^= (unsigned char)(1u << (bit % 8));
                uint64_t x = h0 ^ cs_hash64(in, sizeof in, 7);
                in[bit / 8] ^= (unsigned char)(1u << (bit % 8));
                for (int k = 0; k < 64; k++)
                    flips += (x >> k) & 1;
                trials++;
            }
        }
        double mean = (double)flips / (double)trials;
        print_message("avalanche: %.3f of 64 bits flip\n", mean);
        assert_true(mean > 31.0 && mean < 33.0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idset_add_contains),
        cmocka_unit_test(test_idset_million),
        cmocka_unit_test(test_idset_interleaved),
        cmocka_unit_test(test_idset_numbered),
        cmocka_unit_test(test_idset_runs),
        cmocka_unit_test(test_idset_uuids),
        cmocka_unit_test(test_idset_time_order),
        cmocka_unit_test(test_idset_run_ends),
        cmocka_unit_test(test_idset_sequence_memory),
        cmocka_unit_test(test_hash64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
