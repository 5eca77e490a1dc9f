/* Tests of src/handoff.c: items handed to a second thread arrive all, in
 * order, with their bytes; an error stops the calls at its item; without
 * a thread the items are used in batches of at most 64, in the caller's
 * thread, when a batch fills and at finish. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/handoff.h>

typedef struct item {
    long i;
    size_t off, len;
} item;

typedef struct seen {
    long calls;           /* fn calls */
    long next;            /* the i expected next */
    long long sum;
    int out_of_order;     /* an item came with the wrong i or bytes */
    long fail_at;         /* fn fails on this i; -1 never */
} seen;

/* The bytes of item i: "id" and i, then i % 7 times 'x'. */
static size_t text_of(char *buf, size_t cap, long i)
{
    int n = snprintf(buf, cap, "id%ld", i);
    for (long k = 0; k < i % 7; k++)
        buf[n++] = 'x';
    return (size_t)n;
}

static int check_one(void *p, const char *bytes, void *payload, cs_error *err)
{
    item *it = p;
    seen *s = payload;
    char want[64];
    size_t n = text_of(want, sizeof want, it->i);

    s->calls++;
    if (it->i != s->next || it->len != n || memcmp(bytes + it->off, want, n) != 0)
        s->out_of_order = 1;
    s->next = it->i + 1;
    s->sum += it->i;
    if (it->i == s->fail_at)
        return cs_error_set(err, CS_EDATA, "item %ld refused", it->i);
    return CS_OK;
}

/* fn as the handoff calls it: the batch's items through one's, till one
 * fails. */
#define BATCH_FN(name, one)                                               \
    static int name(void *items, size_t n, const char *bytes,             \
                    void *payload, cs_error *err)                         \
    {                                                                     \
        for (size_t i = 0; i < n; i++)                                    \
            if (one((item *)items + i, bytes, payload, err) < 0)          \
                return err->code;                                         \
        return CS_OK;                                                     \
    }

BATCH_FN(check_item, check_one)

/* Put items 0..n-1; returns the i whose put failed, or n. */
static long put_all(cs_handoff *h, long n, cs_error *err)
{
    for (long i = 0; i < n; i++) {
        char buf[64];
        size_t len = text_of(buf, sizeof buf, i), off;
        char *dst;
        item *it = cs_handoff_next(h, len, &off, &dst, err);
        assert_non_null(it);
        it->i = i;
        it->off = off;
        it->len = len;
        memcpy(dst, buf, len);
        if (cs_handoff_put(h, err) < 0)
            return i;
    }
    return n;
}

static void all_in_order(void **state)
{
    (void)state;
    for (int threaded = 0; threaded < 2; threaded++) {
        /* 100 items a batch and 256 bytes: batches end on either limit
         * (each item has 3 to 13 bytes). */
        seen s = { 0, 0, 0, 0, -1 };
        cs_handoff *h;
        cs_error err = {0};
        assert_int_equal(cs_handoff_create(&h, threaded, sizeof(item), 100,
                                           256, check_item, &s, &err), CS_OK);
        assert_int_equal(put_all(h, 10000, &err), 10000);
        assert_int_equal(cs_handoff_finish(h, &err), CS_OK);
        cs_handoff_free(h);
        assert_int_equal(s.calls, 10000);
        assert_int_equal(s.out_of_order, 0);
        /* 0 + 1 + ... + 9999 = 9999 * 10000 / 2 */
        assert_true(s.sum == 49995000LL);
        assert_int_equal(err.code, CS_OK);
    }
}

static int big_one(void *p, const char *bytes, void *payload, cs_error *err)
{
    item *it = p;
    long *bad = payload;
    (void)err;
    for (size_t k = 0; k < it->len; k++)
        if (bytes[it->off + k] != (char)('a' + (it->i + (long)k) % 26))
            (*bad)++;
    return CS_OK;
}
BATCH_FN(check_big, big_one)

/* An item's bytes larger than a batch's buffer: it grows. */
static void big_item(void **state)
{
    (void)state;
    for (int threaded = 0; threaded < 2; threaded++) {
        static const size_t lens[] = { 10, 5000, 3, 100000, 40 };
        long bad = 0;
        cs_handoff *h;
        cs_error err = {0};
        assert_int_equal(cs_handoff_create(&h, threaded, sizeof(item), 8, 64,
                                           check_big, &bad, &err), CS_OK);
        for (long i = 0; i < 5; i++) {
            size_t off;
            char *dst;
            item *it = cs_handoff_next(h, lens[i], &off, &dst, &err);
            assert_non_null(it);
            it->i = i;
            it->off = off;
            it->len = lens[i];
            for (size_t k = 0; k < lens[i]; k++)
                dst[k] = (char)('a' + (i + (long)k) % 26);
            assert_int_equal(cs_handoff_put(h, &err), CS_OK);
        }
        assert_int_equal(cs_handoff_finish(h, &err), CS_OK);
        cs_handoff_free(h);
        assert_int_equal(bad, 0);
    }
}

/* fn fails on item 500: no call after it; put and finish return its
 * error. Without a thread the put that fills item 500's batch of 64 (items
 * 448 to 511) fails; with one a later put may (the thread is behind), but
 * never an earlier one. */
static void error_stops(void **state)
{
    (void)state;
    for (int threaded = 0; threaded < 2; threaded++) {
        seen s = { 0, 0, 0, 0, 500 };
        cs_handoff *h;
        cs_error err = {0}, ferr = {0};
        long stopped;
        assert_int_equal(cs_handoff_create(&h, threaded, sizeof(item), 64,
                                           1024, check_item, &s, &err), CS_OK);
        stopped = put_all(h, 5000, &err);
        if (threaded) {
            assert_true(stopped >= 500);
            if (stopped < 5000)
                assert_int_equal(err.code, CS_EDATA);
        } else {
            assert_int_equal(stopped, 511);
            assert_int_equal(err.code, CS_EDATA);
            assert_string_equal(err.msg, "item 500 refused");
        }
        assert_int_equal(cs_handoff_finish(h, &ferr), CS_EDATA);
        assert_string_equal(ferr.msg, "item 500 refused");
        cs_handoff_free(h);
        assert_int_equal(s.calls, 501);
        assert_int_equal(s.out_of_order, 0);
        assert_true(s.sum == 125250LL);   /* 0 + ... + 500 = 500 * 501 / 2 */
    }
}

/* fn as the handoff calls it, recording each call's count of items. */
typedef struct fn_calls {
    long n;               /* calls */
    long items[64];       /* items of each call */
    long first;           /* the first item of the last call */
} fn_calls;

static int count_call(void *items, size_t n, const char *bytes,
                      void *payload, cs_error *err)
{
    fn_calls *c = payload;
    (void)bytes;
    (void)err;
    if (c->n < 64)
        c->items[c->n] = (long)n;
    c->n++;
    c->first = ((item *)items)->i;
    return CS_OK;
}

/* Without a thread the items come in batches of 64 (batch_items asks for
 * 1024), each when its 64th is put, the rest at finish; a smaller
 * batch_items is kept; and a batch's bytes, when full, end it early. */
static void unthreaded_batches(void **state)
{
    fn_calls c = { 0, { 0 }, -1 };
    cs_handoff *h;
    cs_error err = {0};

    (void)state;
    assert_int_equal(cs_handoff_create(&h, 0, sizeof(item), 1024, 65536,
                                       count_call, &c, &err), CS_OK);
    assert_int_equal(put_all(h, 63, &err), 63);
    assert_int_equal(c.n, 0);
    assert_int_equal(put_all(h, 1, &err), 1);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.items[0], 64);
    assert_int_equal(put_all(h, 936, &err), 936);   /* 1000 in all */
    assert_int_equal(c.n, 15);
    assert_int_equal(cs_handoff_finish(h, &err), CS_OK);
    assert_int_equal(c.n, 16);
    assert_int_equal(c.items[15], 1000 - 15 * 64);
    cs_handoff_free(h);

    c = (fn_calls){ 0, { 0 }, -1 };
    assert_int_equal(cs_handoff_create(&h, 0, sizeof(item), 10, 65536,
                                       count_call, &c, &err), CS_OK);
    assert_int_equal(put_all(h, 25, &err), 25);
    assert_int_equal(cs_handoff_finish(h, &err), CS_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.items[0], 10);
    assert_int_equal(c.items[2], 5);
    cs_handoff_free(h);

    /* Items 0 to 6 take 3 to 9 bytes ("id0", "id1x", ... "id6xxxxxx"):
     * with 32 bytes a batch the first call takes items 0 to 4 (25 bytes),
     * as item 5's 8 would make 33; finish gives items 5 to 9. */
    c = (fn_calls){ 0, { 0 }, -1 };
    assert_int_equal(cs_handoff_create(&h, 0, sizeof(item), 64, 32,
                                       count_call, &c, &err), CS_OK);
    assert_int_equal(put_all(h, 10, &err), 10);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.items[0], 5);
    assert_int_equal(cs_handoff_finish(h, &err), CS_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.items[1], 5);
    assert_int_equal(c.first, 5);
    cs_handoff_free(h);
}

/* Without a thread, fn failing on a batch that its bytes ended: the
 * next item is refused (NULL) with fn's error, and finish gives it too. */
static void unthreaded_error_on_room(void **state)
{
    seen s = { 0, 0, 0, 0, 3 };
    cs_handoff *h;
    cs_error err = {0}, ferr = {0};
    size_t off;
    char *dst;

    (void)state;
    /* 25 bytes for items 0 to 4; item 5 needs the room. */
    assert_int_equal(cs_handoff_create(&h, 0, sizeof(item), 64, 32,
                                       check_item, &s, &err), CS_OK);
    assert_int_equal(put_all(h, 5, &err), 5);
    assert_int_equal(s.calls, 0);
    assert_null(cs_handoff_next(h, 8, &off, &dst, &err));
    assert_int_equal(err.code, CS_EDATA);
    assert_string_equal(err.msg, "item 3 refused");
    assert_int_equal(s.calls, 4);
    assert_int_equal(cs_handoff_finish(h, &ferr), CS_EDATA);
    assert_string_equal(ferr.msg, "item 3 refused");
    cs_handoff_free(h);
}

/* Freed without finish, with batches waiting: no call after free
 * returns, and nothing leaks (the sanitizer build checks). */
static void free_without_finish(void **state)
{
    (void)state;
    seen s = { 0, 0, 0, 0, -1 };
    cs_handoff *h;
    cs_error err = {0};
    long calls;
    assert_int_equal(cs_handoff_create(&h, 1, sizeof(item), 10, 256,
                                       check_item, &s, &err), CS_OK);
    assert_int_equal(put_all(h, 35, &err), 35);
    cs_handoff_free(h);
    calls = s.calls;
    assert_true(calls <= 35);
    assert_int_equal(s.out_of_order, 0);
    cs_handoff_free(NULL);
}

/* fn leaves a note in err on item 400 yet succeeds, then fails on item
 * 500, a batch later: each call starts with err clear, so the error that
 * arrives is item 500's (cs_error_set keeps the first error it is
 * given). */
static int note_one(void *p, const char *bytes, void *payload,
                    cs_error *err)
{
    const item *it = p;
    if (it->i == 400)   /* in the batch of 64 before the one of 500 */
        cs_error_set(err, CS_EDATA, "a note on item 400");
    return check_one(p, bytes, payload, err);
}
BATCH_FN(note_then_fail, note_one)

static void each_call_starts_clear(void **state)
{
    (void)state;
    for (int threaded = 0; threaded < 2; threaded++) {
        seen s = { 0, 0, 0, 0, 500 };
        cs_handoff *h;
        cs_error err = {0}, ferr = {0};
        assert_int_equal(cs_handoff_create(&h, threaded, sizeof(item), 64,
                                           1024, note_then_fail, &s, &err),
                         CS_OK);
        put_all(h, 1000, &err);
        assert_int_equal(cs_handoff_finish(h, &ferr), CS_EDATA);
        assert_string_equal(ferr.msg, "item 500 refused");
        cs_handoff_free(h);
        assert_int_equal(s.calls, 501);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_in_order),
        cmocka_unit_test(big_item),
        cmocka_unit_test(error_stops),
        cmocka_unit_test(unthreaded_batches),
        cmocka_unit_test(unthreaded_error_on_room),
        cmocka_unit_test(free_without_finish),
        cmocka_unit_test(each_call_starts_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
