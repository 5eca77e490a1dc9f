/* Tests for src/partial.c: the partial state's leaf and sha256 lines.
 * What they hold, that merge refuses a leaf state twice, that any digit
 * of a state changed is refused, that the lines are checked for their
 * form, and that a state without them (as format 3 was written before
 * them) is still read. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/acc.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/cluster.h>
#include <crampstat/sha256.h>
#include "partial_sum.h"

static cs_str str(const char *s)
{
    return (cs_str){ s, strlen(s) };
}

static uint64_t seed = 88172645463325252ULL;
static uint64_t next(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

/* The text of a state of the accumulators o asks for, of the sessions k
 * of n shards (k = -1: all) of one fixed set of 60 sessions; of those
 * whose bits are in mask only (cs_agg_write_partial_some), unless mask
 * is ~0u. */
static char *state_text_of(const cs_acc_opts *o, unsigned mask, int k, int n)
{
    cs_agg a;
    cs_error err = {0};
    cs_buf b;

    assert_int_equal(cs_agg_open(&a, o, &err), CS_OK);
    assert_int_equal(cs_agg_add_input(&a, "ex.csv", &err), CS_OK);
    seed = 88172645463325252ULL;
    for (int i = 0; i < 60; i++) {
        signed char f[CS_F_N];
        char id[16];
        cs_agg_more mo;
        int out = next() % 5 == 0 ? 1 : next() % 30 == 0 ? -1 : 0;
        uint64_t mmin = 1000 + next() % 90000;
        double goal = -1.0 + 0.5 * (double)(next() % 5);
        for (int j = 0; j < CS_F_N; j++)
            f[j] = (signed char)((int)(next() % 3) - 1);
        snprintf(id, sizeof id, "P%02d", i / 10);
        for (int e = 0; e < CS_DOSE_N; e++)
            mo.dose[e] = next() % 7 == 0 ? NAN : (double)(next() % 3000) / 3.0;
        mo.day = 19800 + (int32_t)(i / 4);
        mo.has_day = i % 13 != 0;
        cs_acc_row row = { f, out, mmin, str(i % 3 ? "F" : "M"), str(""),
                           str(id), &mo, goal, 0, 0 };
        if (k < 0 || i % n == k)
            assert_int_equal(cs_agg_add_row(&a, &row, &err), CS_OK);
    }
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
    cs_buf_init(&b, 0);
    if (mask == ~0u)
        assert_int_equal(cs_agg_write_partial(&a, &b, &err), CS_OK);
    else
        assert_int_equal(cs_agg_write_partial_some(&a, mask, &b, &err), CS_OK);
    cs_agg_dispose(&a);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    return cs_buf_take(&b, NULL);
}

/* ... with every section (stratified, clustered, with dose-response
 * values, days and calorie goals). */
static char *state_text(int k, int n)
{
    static cs_rules r;
    cs_acc_opts o;

    cs_rules_default(&r);
    o = (cs_acc_opts){ &r, "sex", NULL, 1, 1, 1, CS_CAL_BY_SEX };
    return state_text_of(&o, ~0u, k, n);
}

static void sha_hex(const char *p, size_t n, char hex[65])
{
    cs_sha256 s;
    cs_sha256_init(&s);
    cs_sha256_update(&s, p, n);
    cs_sha256_final(&s, hex);
}

/* A state written from counts ends "leaf L", "sha256 S", "end": L the
 * SHA-256 of the text before the leaf line, S of the text before the
 * sha256 line. The same counts give the same bytes. */
static void test_leaf_and_sum(void **state)
{
    char *t = state_text(-1, 1), *again = state_text(-1, 1);
    char *leaf, *sum, hex[65];

    (void)state;
    assert_string_equal(t, again);
    leaf = strstr(t, "\nleaf ") + 1;
    sum = strstr(t, "\nsha256 ") + 1;
    assert_true(leaf > t && sum == leaf + 70);
    assert_string_equal(sum + 72, "end\n");
    assert_non_null(strstr(t, "\nsection calories 1\n"));
    assert_non_null(strstr(t, "\nsection cluster 1\n"));
    assert_non_null(strstr(t, "\ndp :P00 "));
    sha_hex(t, (size_t)(leaf - t), hex);
    assert_memory_equal(leaf + 5, hex, 64);
    sha_hex(t, (size_t)(sum - t), hex);
    assert_memory_equal(sum + 7, hex, 64);
    free(t);
    free(again);
}

/* Every digit of the state made each of the nine others: every one of
 * the states is refused (CS_EDATA), at a line of the file. */
static void test_every_digit(void **state)
{
    char *t = state_text(-1, 1);
    size_t len = strlen(t), n = 0, taken = 0;

    (void)state;
    for (size_t i = 0; i < len; i++) {
        char was = t[i];
        if (was < '0' || was > '9')
            continue;
        for (char d = '0'; d <= '9'; d++) {
            cs_agg a;
            cs_error err = {0};
            if (d == was)
                continue;
            t[i] = d;
            n++;
            if (cs_agg_read_partial(&a, "s.partial", t, len, &err) == CS_OK) {
                if (taken++ < 3)
                    print_message("byte %zu '%c' -> '%c' was read\n", i, was, d);
                cs_agg_dispose(&a);
            } else {
                assert_int_equal(err.code, CS_EDATA);
                assert_string_equal(err.src, "s.partial");
                assert_true(err.line >= 1);
            }
        }
        t[i] = was;
    }
    print_message("%zu states, one digit changed each\n", n);
    assert_true(n > 9000);
    assert_int_equal(taken, 0);
    free(t);
}

static void read_state(cs_agg *a, const char *name, const char *t)
{
    cs_error err = {0};
    if (cs_agg_read_partial(a, name, t, strlen(t), &err) != CS_OK)
        fail_msg("%s:%lu: %s", err.src, err.line, err.msg);
}

/* Three shards merge, in any order, to a state made of their three
 * leaves, sorted; a leaf merged again is refused and changes nothing,
 * whether it comes alone or inside a merged state. */
static void test_merge_refuses_a_leaf_twice(void **state)
{
    char *s[3], *whole = state_text(-1, 1), *counts_whole, *counts_m;
    cs_agg m, one, two;
    cs_error err = {0};
    cs_buf b;
    uint64_t rows;

    (void)state;
    for (int k = 0; k < 3; k++)
        s[k] = state_text(k, 3);
    read_state(&m, "s2", s[2]);
    for (int k = 0; k < 2; k++) {
        read_state(&one, "s", s[k]);
        assert_int_equal(cs_agg_shared_leaf(&m, &one), -1);
        assert_int_equal(cs_agg_merge(&m, &one, &err), CS_OK);
        cs_agg_dispose(&one);
    }
    assert_int_equal(m.nleaves, 3);
    for (size_t i = 1; i < m.nleaves; i++)
        assert_true(memcmp(m.leaf[i - 1].id, m.leaf[i].id, 64) < 0);
    for (int k = 0; k < 3; k++)
        assert_non_null(strstr(s[k], "\nleaf "));
    cs_buf_init(&b, 0);
    assert_int_equal(cs_agg_finish(&m, &err), CS_OK);
    assert_int_equal(cs_agg_write_partial(&m, &b, &err), CS_OK);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    counts_m = strip_sums(b.ptr);
    counts_whole = strip_sums(whole);
    assert_string_equal(counts_m, counts_whole);

    /* A shard again, alone. */
    rows = m.rows;
    read_state(&one, "s1", s[1]);
    long i = cs_agg_shared_leaf(&m, &one);
    assert_true(i >= 0);
    assert_memory_equal(m.leaf[i].id, strstr(s[1], "\nleaf ") + 6, 64);
    assert_int_equal(cs_agg_merge(&m, &one, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "would count twice"));
    assert_int_equal(m.rows, rows);
    assert_int_equal(m.nleaves, 3);
    cs_agg_dispose(&one);

    /* Inside a merged state: the total of shards 0 and 1 into shard 1. */
    memset(&err, 0, sizeof err);
    read_state(&one, "s1", s[1]);
    read_state(&two, "m", b.ptr);
    assert_int_equal(two.nleaves, 3);
    assert_int_equal(cs_agg_merge(&one, &two, &err), CS_EDATA);
    cs_agg_dispose(&one);
    cs_agg_dispose(&two);

    cs_agg_dispose(&m);
    cs_buf_dispose(&b);
    free(counts_m);
    free(counts_whole);
    free(whole);
    for (int k = 0; k < 3; k++)
        free(s[k]);
}

/* A state without leaf and sha256 lines is read (no sum to check) as a
 * leaf with the id a state written now gets: merge writes it with them,
 * and it is refused beside its new copy. */
static unsigned bit(const char *name)
{
    int i = cs_acc_find(str(name));
    assert_true(i >= 0);
    return 1u << i;
}

/* A state's part is written as a state that holds only that part: the
 * counts of every section but the calories' as a state counted without
 * the calorie goals, and the calories' as a state of the goals alone,
 * each its own leaf. A section without one it needs, and a part of a
 * state read or merged, are refused. */
static void test_write_some(void **state)
{
    static cs_rules r;
    cs_acc_opts all, sessions, goals;
    char *part, *alone;
    cs_agg a;
    cs_buf b;
    cs_error err = {0};

    (void)state;
    cs_rules_default(&r);
    all = (cs_acc_opts){ &r, "sex", NULL, 1, 1, 1, CS_CAL_BY_SEX };
    sessions = (cs_acc_opts){ &r, "sex", NULL, 1, 1, 0, CS_CAL_BY_SEX };
    goals = (cs_acc_opts){ &r, NULL, NULL, 0, 0, 1, CS_CAL_BY_SEX };
    part = state_text_of(&all, ~bit("calories"), -1, 1);
    alone = state_text_of(&sessions, ~0u, -1, 1);
    assert_string_equal(part, alone);
    assert_null(strstr(part, "section calories"));
    assert_non_null(strstr(part, "\nsection cluster 1\n"));
    free(part);
    free(alone);
    part = state_text_of(&all, bit("calories"), -1, 1);
    alone = state_text_of(&goals, ~0u, -1, 1);
    assert_string_equal(part, alone);
    assert_non_null(strstr(part, "\nlink "));
    assert_null(strstr(part, "section sessions"));
    free(part);
    free(alone);
    /* The whole is the whole. */
    part = state_text_of(&all, bit("sessions") | bit("factors") |
                         bit("logistic") | bit("cluster") | bit("dose") |
                         bit("period") | bit("calories"), -1, 1);
    alone = state_text(-1, 1);
    assert_string_equal(part, alone);
    free(part);

    /* "cluster" without "sessions" */
    assert_int_equal(cs_agg_open(&a, &all, &err), CS_OK);
    cs_buf_init(&b, 0);
    assert_int_equal(cs_agg_write_partial_some(&a, bit("cluster"), &b, &err),
                     CS_ERROR);
    assert_non_null(strstr(err.msg, "\"cluster\" cannot be written without"));
    assert_int_equal(b.len, 0);
    cs_agg_dispose(&a);
    /* a part of a state read (or merged): its leaves name whole states */
    read_state(&a, "whole.partial", alone);
    assert_true(a.nleaves > 0);
    cs_error_clear(&err);
    assert_int_equal(cs_agg_write_partial_some(&a, bit("calories"), &b, &err),
                     CS_ERROR);
    assert_non_null(strstr(err.msg, "whole states"));
    assert_int_equal(b.len, 0);
    cs_agg_dispose(&a);
    cs_buf_dispose(&b);
    free(alone);
}

/* What cs_agg_stream_partial_some hands out: its pieces, how many, the
 * longest, and a failure to give on piece fail_at (0: none). */
typedef struct pieces {
    cs_buf text;
    int n, fail_at;
    size_t longest;
} pieces;

static int take_piece(void *ctx, const char *p, size_t n, cs_error *err)
{
    pieces *pc = ctx;

    assert_true(n > 0);
    if (++pc->n == pc->fail_at)
        return cs_error_set(err, CS_EIO, "disk full");
    if (n > pc->longest)
        pc->longest = n;
    return cs_buf_append(&pc->text, p, n);
}

/* A clustered state of 20,000 participants (some 3 MB of text) streamed
 * in pieces is the state written whole; its text up to the leaf line is
 * the magic line and each section's "section" line and whole-section
 * writer's text (k->write, which write_part's pieces must equal), and the
 * cluster and dose sections written one participant a call are those
 * writers' text too. A failing output ends the writing with its error. */
static void test_stream_pieces(void **state)
{
    static cs_rules r;
    cs_acc_opts o;
    cs_agg a;
    cs_error err = {0};
    cs_buf whole, b;
    pieces pc = { { 0 }, 0, 0, 0 };
    char *leaf;
    (void)state;

    cs_rules_default(&r);
    o = (cs_acc_opts){ &r, "sex", NULL, 1, 1, 1, CS_CAL_BY_SEX };
    assert_int_equal(cs_agg_open(&a, &o, &err), CS_OK);
    assert_int_equal(cs_agg_add_input(&a, "ex.csv", &err), CS_OK);
    seed = 88172645463325252ULL;
    for (int i = 0; i < 60000; i++) {
        signed char f[CS_F_N];
        char id[16];
        cs_agg_more mo;
        for (int j = 0; j < CS_F_N; j++)
            f[j] = (signed char)((int)(next() % 3) - 1);
        snprintf(id, sizeof id, "P%06d", i / 3);
        for (int e = 0; e < CS_DOSE_N; e++)
            mo.dose[e] = (double)(next() % 3000) / 3.0;
        mo.day = 19800 + (int32_t)(i % 400);
        mo.has_day = 1;
        cs_acc_row row = { f, next() % 5 == 0, 1000 + next() % 90000,
                           str(i % 2 ? "F" : "M"), str(""), str(id), &mo,
                           -1.0 + 0.5 * (double)(next() % 5), 0, 0 };
        assert_int_equal(cs_agg_add_row(&a, &row, &err), CS_OK);
    }
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);

    cs_buf_init(&whole, 0);
    assert_int_equal(cs_agg_write_partial(&a, &whole, &err), CS_OK);
    assert_true(whole.len > 3000000);
    cs_buf_init(&pc.text, 0);
    assert_int_equal(cs_agg_stream_partial_some(&a, a.have, take_piece, &pc,
                                                &err), CS_OK);
    assert_int_equal(pc.text.len, whole.len);
    assert_memory_equal(pc.text.ptr, whole.ptr, whole.len);
    assert_true(pc.n >= 4);                       /* pieces of about 1 MiB */
    assert_true(pc.longest <= ((size_t)1 << 20) + 4096);

    /* The sections' whole writers, one after the other. */
    cs_buf_init(&b, 0);
    cs_buf_puts(&b, "crampstat-partial 3\n");
    for (size_t i = 0; i < cs_acc_count; i++)
        if (a.have & (1u << i)) {
            cs_buf_printf(&b, "section %s %u\n", cs_acc_registry[i]->name,
                          cs_acc_registry[i]->version);
            cs_acc_registry[i]->write(&a, &b);
        }
    assert_int_equal(cs_buf_error(&b), CS_OK);
    assert_int_equal(cs_buf_putc(&whole, '\0'), CS_OK);
    leaf = strstr(whole.ptr, "\nleaf ");
    assert_non_null(leaf);
    assert_int_equal((size_t)(leaf + 1 - whole.ptr), b.len);
    assert_memory_equal(whole.ptr, b.ptr, b.len);

    /* One item a call. */
    for (size_t i = 0; i < cs_acc_count; i++) {
        const cs_acc_kind *k = cs_acc_registry[i];
        cs_buf one, part;
        size_t from = 0;
        int calls = 0;
        if (!k->write_part)
            continue;
        cs_buf_init(&one, 0);
        cs_buf_init(&part, 0);
        k->write(&a, &one);
        for (int more = 1; more; calls++)
            more = k->write_part(&a, &part, &from, 1);
        assert_int_equal(part.len, one.len);
        assert_memory_equal(part.ptr, one.ptr, one.len);
        /* the participants one a call, the first with the lines before */
        assert_int_equal(calls, 20000);
        cs_buf_dispose(&one);
        cs_buf_dispose(&part);
    }
    assert_non_null(cs_acc_registry[__builtin_ctz(bit("cluster"))]->write_part);
    assert_non_null(cs_acc_registry[__builtin_ctz(bit("dose"))]->write_part);

    /* Read back (its sha256 line checked, every participant parsed)
     * and written again: the same bytes. */
    {
        cs_agg back;
        cs_buf again;
        assert_int_equal(cs_agg_read_partial(&back, "streamed", pc.text.ptr,
                                             pc.text.len, &err), CS_OK);
        assert_int_equal(cs_clu_participants(back.clu), 20000);
        cs_buf_init(&again, 0);
        assert_int_equal(cs_agg_write_partial(&back, &again, &err), CS_OK);
        assert_int_equal(again.len, pc.text.len);
        assert_memory_equal(again.ptr, pc.text.ptr, again.len);
        cs_buf_dispose(&again);
        cs_agg_dispose(&back);
    }

    /* The output fails on the second piece: that error, no third call. */
    cs_buf_reset(&pc.text);
    pc.n = 0;
    pc.fail_at = 2;
    assert_int_equal(cs_agg_stream_partial_some(&a, a.have, take_piece, &pc,
                                                &err), CS_EIO);
    assert_string_equal(err.msg, "disk full");
    assert_int_equal(pc.n, 2);

    cs_buf_dispose(&pc.text);
    cs_buf_dispose(&whole);
    cs_buf_dispose(&b);
    cs_agg_dispose(&a);
}

static void test_old_state(void **state)
{
    char *t = state_text(-1, 1), *old = strip_sums(t);
    cs_agg a, b;
    cs_error err = {0};
    cs_buf w;

    (void)state;
    read_state(&a, "old", old);
    assert_int_equal(a.nleaves, 1);
    assert_memory_equal(a.leaf[0].id, strstr(t, "\nleaf ") + 6, 64);
    cs_buf_init(&w, 0);
    assert_int_equal(cs_agg_write_partial(&a, &w, &err), CS_OK);
    assert_int_equal(cs_buf_putc(&w, '\0'), CS_OK);
    assert_string_equal(w.ptr, t);
    read_state(&b, "new", t);
    assert_int_equal(cs_agg_merge(&a, &b, &err), CS_EDATA);
    cs_agg_dispose(&a);
    cs_agg_dispose(&b);
    cs_buf_dispose(&w);
    free(old);
    free(t);
}

/* The lines' form and place: each error at its line. */
static void test_line_errors(void **state)
{
    static const struct {
        const char *name, *find, *put;   /* the first find replaced by put */
        int flip;                        /* then the next byte changed */
        const char *msg;
    } cases[] = {
        { "sum changed", "\nsha256 ", "\nsha256 ", 1,
          "does not match its sha256 line" },
        { "sum upper case", "\nsha256 ", "\nsha256 A", 0,
          "64 hexadecimal digits" },
        { "no sum", "\nsha256 ", "\nnosum ", 0, "expected a \"section\" line" },
        { "leaf upper case", "\nleaf ", "\nleaf A", 0, "64 hexadecimal digits" },
        { "leaf short", "\nleaf ", "\nleaf 0\nleaf ", 0, "64 hexadecimal digits" },
        { "leaf twice", "\nleaf ", "\nleaf 00000000000000000000000000000000"
          "00000000000000000000000000000000\nleaf 000000000000000000000000000"
          "0000000000000000000000000000000000000\nleaf ", 0,
          "not in increasing order, or one is given twice" },
        { "text after end", "\nend\n", "\nend\nend\n", 0, "text after \"end\"" },
        { "a line after the sum", "\nend\n", "\nleaf x\nend\n", 0,
          "expected \"end\" after the sha256 line" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = state_text(0, 3), *at = strstr(t, cases[i].find);
        size_t fl = strlen(cases[i].find), pl = strlen(cases[i].put);
        char *u = malloc(strlen(t) + pl + 1);
        cs_agg a;
        cs_error err = {0};
        print_message("case %s\n", cases[i].name);
        assert_non_null(at);
        memcpy(u, t, (size_t)(at - t));
        strcpy(u + (at - t), cases[i].put);
        strcat(u, at + fl);
        if (cases[i].flip) {
            char *c = u + (at - t) + pl;
            *c = *c == '0' ? '1' : '0';
        }
        /* Every case but the first two leaves a sum that would match. */
        if (i >= 2 && strstr(u, "\nsha256 "))
            resum(u);
        assert_int_equal(cs_agg_read_partial(&a, "s.partial", u, strlen(u), &err),
                         CS_EDATA);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("line %lu: \"%s\", expected \"%s\"", err.line, err.msg,
                     cases[i].msg);
        assert_true(err.line >= 1);
        free(u);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_and_sum),
        cmocka_unit_test(test_every_digit),
        cmocka_unit_test(test_merge_refuses_a_leaf_twice),
        cmocka_unit_test(test_write_some),
        cmocka_unit_test(test_stream_pieces),
        cmocka_unit_test(test_old_state),
        cmocka_unit_test(test_line_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
