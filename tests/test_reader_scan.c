/* Tests of src/reader.c's structural scans: each scan (plain C, SSE2,
 * AVX2 and AVX-512 where the CPU has them; "avx512" splits the fields
 * with AVX-512 too) against bits worked out here byte by byte,
 * and the reader forced onto each scan (CRAMPSTAT_SCAN) on inputs whose
 * fields, quotes and line ends sit at every offset around the 16-, 32-
 * and 64-byte blocks, read through buffers from 8 bytes up so that
 * refills fall inside lines, with exact expected records and errors. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/reader.h>
#include <crampstat/source.h>
#include "internal.h"
#include "text.h"

static const char *const scans[] = { "scalar", "sse2", "avx2", "avx512" };
#define NSCANS (sizeof scans / sizeof scans[0])

/* Raw source buffers: a reader starts at twice this, so 8 gives refills
 * of at most 16 bytes, and 100 sizes that are no power of two. */
static const size_t bufs[] = { 8, 12, 24, 40, 100, 4096, 128 * 1024 };
#define NBUFS (sizeof bufs / sizeof bufs[0])

/* Each read runs with the source in the caller's thread (the reader
 * copies its bytes) and with a read-ahead thread (the reader borrows
 * them in place, 8 buffers at a time, with one buffer's room in front
 * for the unfinished line; a longer one goes the copying way). */
static int threads = 1;

/* Whether bufs[b] is read with the current kind of source. With a
 * read-ahead thread, 8, 100 and 4096 bytes: the smallest room in front of
 * a lent buffer (most lines go the copying way), a room most lines fit,
 * and a first copied read that holds all but the longest inputs. Every
 * size would repeat the thread's start-up and its hand-offs many times
 * over (minutes under the sanitizers); 128 KiB holds every input of
 * these tables in its first read, so nothing is borrowed at all. */
static int buf_used(size_t b)
{
    return threads == 1 || bufs[b] == 8 || bufs[b] == 100 || bufs[b] == 4096;
}

static int scan_here(const char *name)
{
    uint64_t w[3];
    return cs__scan_index(name, w, "", 0) == 0;
}

/* Whether scans[s] is read with the current kind of source: every scan
 * the CPU has with the source in the caller's thread; with a read-ahead
 * thread only the widest (the scans give the same index, which
 * test_scans_agree checks with both kinds of source). */
static int scan_used(size_t s)
{
    if (!scan_here(scans[s]))
        return 0;
    for (size_t w = s + 1; threads != 1 && w < NSCANS; w++)
        if (scan_here(scans[w]))
            return 0;
    return 1;
}

/* The reads a case makes, one per call: both kinds of source, and with
 * each the scans and buffers it is read with. Sets threads, *s and *b
 * (from *k = 0 on); 0 after the last, with threads back at 1. */
static int next_read(size_t *k, size_t *s, size_t *b)
{
    for (; *k < 2 * NSCANS * NBUFS; (*k)++) {
        threads = 1 + (int)(*k / (NSCANS * NBUFS));
        *s = *k / NBUFS % NSCANS;
        *b = *k % NBUFS;
        if (scan_used(*s) && buf_used(*b)) {
            (*k)++;
            return 1;
        }
    }
    threads = 1;
    return 0;
}

/* Records as "LINE-END:[f1][f2];" with CR as ^M and LF as ^J, then, on
 * an error, "!CODE@LINE:COL msg". */
static void dump(struct text *t, const cs_record *rec)
{
    putf(t, "%lu-%lu:", rec->line, rec->end_line);
    for (size_t i = 0; i < rec->nfields; i++) {
        put(t, "[", 1);
        for (size_t k = 0; k < rec->fields[i].len; k++) {
            char c = rec->fields[i].ptr[k];
            if (c == '\r' || c == '\n')
                puts_(t, c == '\r' ? "^M" : "^J");
            else
                put(t, &c, 1);
        }
        put(t, "]", 1);
    }
    put(t, ";", 1);
}

/* Read input with the scan forced and the source's buffer at buf; the
 * dump goes to got (reset), with flags each record's flags after it
 * ("p" printable, "l" ended by LF). Checks that the reader took that
 * scan. */
static void read_scan_flags(const char *scan, size_t buf, const char *in,
                            size_t n, int keep_empty, int flags,
                            struct text *got)
{
    cs_source_opts so = { threads, buf }, back = { 2, 128 * 1024 };
    cs_read_opts ro = { 0 };
    cs_error err = { 0 };
    cs_reader *r = NULL;
    const cs_record *rec;
    int rc;

    got->len = 0;
    put(got, "", 0);
    ro.keep_empty_lines = keep_empty;
    assert_int_equal(setenv("CRAMPSTAT_SCAN", scan, 1), 0);
    cs_source_set_defaults(&so);
    assert_int_equal(cs_reader_open_mem(&r, "t.csv", in, n, &ro, &err),
                     CS_OK);
    assert_string_equal(cs__reader_scan(r), scan);
    while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
        dump(got, rec);
        if (flags)
            putf(got, "%s%s", rec->printable ? "p" : "",
                 rec->lf_end ? "l" : "");
    }
    if (rc < 0)
        putf(got, "!%d@%lu:%lu %s", err.code, err.line, err.col, err.msg);
    cs_reader_free(r);
    cs_source_set_defaults(&back);
    unsetenv("CRAMPSTAT_SCAN");
}

static void read_scan(const char *scan, size_t buf, const char *in,
                      size_t n, int keep_empty, struct text *got)
{
    read_scan_flags(scan, buf, in, n, keep_empty, 0, got);
}

/* Every scan the CPU has, with every buffer, gives want. */
static void expect(const char *name, const char *in, size_t n,
                   int keep_empty, const char *want)
{
    struct text got = { 0 };

    for (size_t k = 0, s, b; next_read(&k, &s, &b);) {
        read_scan(scans[s], bufs[b], in, n, keep_empty, &got);
        if (strcmp(got.p, want) != 0) {
            print_message("case %s, scan %s, buffer %zu, threads %d\n",
                          name, scans[s], bufs[b], threads);
            assert_string_equal(got.p, want);
        }
    }
    free(got.p);
}

/* ---- the index: each scan against bits set here byte by byte ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void test_index_fixed(void **state)
{
    /* 70 bytes: ',' at 0, 15, 16, 31, 32, 63, 64; '"' at 1; LF at 17;
     * CR at 33 and 69; the rest 'x', and a NUL and 0xFF at 2 and 3; at 40
     * to 45 the bytes on either side of the printable range (0x7f, 0x1f,
     * then 0x20 and 0x7e, which are printable, then 0x80 and a tab). */
    char in[70];
    uint64_t want[6] = {
        (1ull << 0) | (1ull << 15) | (1ull << 16) | (1ull << 31) |
            (1ull << 32) | (1ull << 63),
        (1ull << 1) | (1ull << 17) | (1ull << 33),
        (1ull << 2) | (1ull << 3) | (1ull << 17) | (1ull << 33) |
            (1ull << 40) | (1ull << 41) | (1ull << 44) | (1ull << 45),
        1ull << 0,
        1ull << 5,
        1ull << 5,
    };

    (void)state;
    memset(in, 'x', sizeof in);
    in[2] = '\0';
    in[3] = (char)0xFF;
    in[0] = in[15] = in[16] = in[31] = in[32] = in[63] = in[64] = ',';
    in[1] = '"';
    in[17] = '\n';
    in[33] = in[69] = '\r';
    in[40] = 0x7f;
    in[41] = 0x1f;
    in[42] = 0x20;
    in[43] = 0x7e;
    in[44] = (char)0x80;
    in[45] = '\t';
    for (size_t s = 0; s < NSCANS; s++) {
        uint64_t idx[6] = { ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull };
        if (cs__scan_index(scans[s], idx, in, sizeof in) < 0) {
            print_message("scan %s: not on this CPU\n", scans[s]);
            continue;
        }
        print_message("scan %s\n", scans[s]);
        assert_memory_equal(idx, want, sizeof want);
        /* The first 64 bytes alone: one block, nothing written after. */
        idx[3] = idx[4] = idx[5] = 7;
        assert_int_equal(cs__scan_index(scans[s], idx, in, 64), 0);
        assert_memory_equal(idx, want, 3 * sizeof *want);
        assert_true(idx[3] == 7 && idx[4] == 7 && idx[5] == 7);
    }
    /* Plain C and SSE2 are in every x86-64 build. */
#if defined(__x86_64__)
    assert_true(scan_here("sse2"));
#endif
    assert_true(scan_here("scalar"));
    assert_false(scan_here("avx1024"));
}

static void test_index_random(void **state)
{
    static const char alpha[] = ",\"\n\rx\0\xff\x2c\x22 ";
    char in[300];
    uint64_t want[15], got[15];

    (void)state;
    for (int round = 0; round < 3000; round++) {
        size_t n = rnd(sizeof in + 1);

        for (size_t i = 0; i < n; i++)
            in[i] = rnd(4) ? alpha[rnd(sizeof alpha - 1)] : (char)rnd(256);
        memset(want, 0, sizeof want);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)in[i];
            if (in[i] == ',')
                want[3 * (i / 64)] |= 1ull << (i % 64);
            else if (in[i] == '"' || in[i] == '\n' || in[i] == '\r')
                want[3 * (i / 64) + 1] |= 1ull << (i % 64);
            if (c < 0x20 || c > 0x7e)
                want[3 * (i / 64) + 2] |= 1ull << (i % 64);
        }
        for (size_t s = 0; s < NSCANS; s++) {
            memset(got, 0xA5, sizeof got);
            if (cs__scan_index(scans[s], got, in, n) < 0)
                continue;
            assert_memory_equal(got, want, (n + 63) / 64 * 3 * sizeof *got);
        }
    }
}

/* ---- the reader on each scan: a case table ---- */

#define N(s) s, sizeof(s) - 1

static const struct {
    const char *name, *in;
    size_t len;
    int keep_empty;
    const char *want;
} cases[] = {
    { "crlf", N("a,b\r\nc,d\r\n"), 0, "1-1:[a][b];2-2:[c][d];" },
    { "lone cr", N("a,b\rc,d\r"), 0, "1-1:[a][b];2-2:[c][d];" },
    { "cr lf cr", N("a\r\n\rb\n"), 0, "1-1:[a];3-3:[b];" },
    { "cr lf cr, kept", N("a\r\n\rb\n"), 1, "1-1:[a];2-2:[];3-3:[b];" },
    { "lf cr", N("a\n\rb"), 0, "1-1:[a];3-3:[b];" },
    { "empty fields", N(",,\n,\n\n"), 0, "1-1:[][][];2-2:[][];" },
    { "empty lines kept", N("a\n\n\r\nb\n"), 1,
      "1-1:[a];2-2:[];3-3:[];4-4:[b];" },
    { "no final end", N("a,b"), 0, "1-1:[a][b];" },
    { "final cr", N("a,b\r"), 0, "1-1:[a][b];" },
    { "final comma", N("a,\n"), 0, "1-1:[a][];" },
    { "empty", N(""), 0, "" },
    /* The buffer ends on a block boundary: nothing past it is read. */
    { "64 bytes", N("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,y\n"), 0,
      "1-1:[xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx][y];" },
    { "only ends", N("\n\r\n\r\r\n"), 0, "" },
    { "bom", N("\xEF\xBB\xBF" "a,b\n"), 0, "1-1:[a][b];" },
    { "bom alone", N("\xEF\xBB\xBF"), 0, "" },
    { "quoted comma", N("\"x,y\",z\n"), 0, "1-1:[x,y][z];" },
    { "quoted quote", N("\"a\"\"b\",c\n"), 0, "1-1:[a\"b][c];" },
    { "quoted crlf", N("a,\"b\r\nc\"\nd\n"), 0, "1-2:[a][b^M^Jc];3-3:[d];" },
    { "quoted lone cr", N("a,\"b\rc\"\rd\r"), 0, "1-2:[a][b^Mc];3-3:[d];" },
    { "quote after cr", N("a\r\"b\"\n"), 0, "1-1:[a];2-2:[b];" },
    { "empty quoted", N("\"\",\"\"\n"), 0, "1-1:[][];" },
    { "nul and high bytes", N("a\0b,\xff\n"), 0, "1-1:[a\0b][\xff];" },
    /* A quote inside a field: libcsv's error, at the field. */
    { "quote in field", N("ok\nab\"c,d\n"), 0,
      "1-1:[ok];!-4@2:1 malformed quoted field (a quote must open the "
      "field and be followed by a comma or the line end; write \"\" for a "
      "quote inside)" },
    { "quote after quoted", N("a,\"b\"c\n"), 0,
      "!-4@1:2 malformed quoted field (a quote must open the field and be "
      "followed by a comma or the line end; write \"\" for a quote "
      "inside)" },
    { "unterminated", N("a\n\"b,c\n"), 0,
      "1-1:[a];!-4@2:1 unterminated quoted field (the quote opens here "
      "and is never closed)" },
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* "nul and high bytes" has a NUL in its expected dump too. */
        if (strcmp(cases[i].name, "nul and high bytes") == 0) {
            struct text got = { 0 };
            for (size_t k = 0, s, b; next_read(&k, &s, &b);) {
                read_scan(scans[s], bufs[b], cases[i].in, cases[i].len, 0,
                          &got);
                assert_int_equal(got.len, sizeof "1-1:[a\0b][\xff];" - 1);
                assert_memory_equal(got.p, "1-1:[a\0b][\xff];",
                                    sizeof "1-1:[a\0b][\xff];" - 1);
            }
            free(got.p);
            continue;
        }
        expect(cases[i].name, cases[i].in, cases[i].len,
               cases[i].keep_empty, cases[i].want);
    }
}

/* ---- generated: each special byte at every offset ---- */

/* One input per offset k: a comma after k bytes, in a line after a first
 * line of j bytes (so the line itself starts off the block start too). */
static void test_comma_offsets(void **state)
{
    struct text in = { 0 }, want = { 0 };

    (void)state;
    for (size_t j = 0; j < 3; j++) {
        for (size_t k = 0; k < 140; k++) {
            in.len = want.len = 0;
            putrep(&in, 'h', j * 7 + 1);
            puts_(&in, "\n");
            putrep(&in, 'x', k);
            puts_(&in, ",");
            putrep(&in, 'y', 139 - k);
            puts_(&in, ",\n");
            puts_(&want, "1-1:[");
            putrep(&want, 'h', j * 7 + 1);
            puts_(&want, "];2-2:[");
            putrep(&want, 'x', k);
            puts_(&want, "][");
            putrep(&want, 'y', 139 - k);
            puts_(&want, "][];");
            expect("comma offsets", in.p, in.len, 0, want.p);
        }
    }
    free(in.p);
    free(want.p);
}

/* Lines as full of fields as a line can be: n commas (n + 1 empty
 * fields) and n + 1 one-byte fields, n from 1 to 200, each line starting
 * at three offsets of a block, so that a block holds up to 64 field ends
 * and the AVX-512 split's groups of eight end anywhere in it. */
static void test_dense_fields(void **state)
{
    struct text in = { 0 }, want = { 0 };

    (void)state;
    for (size_t j = 0; j < 3; j++) {
        for (size_t n = 1; n <= 200; n++) {
            in.len = want.len = 0;
            putrep(&in, 'h', j * 29 + 1);
            puts_(&in, "\n");
            putrep(&in, ',', n);
            puts_(&in, "\n");
            for (size_t i = 0; i <= n; i++)
                puts_(&in, i ? ",x" : "x");
            puts_(&in, "\n");
            puts_(&want, "1-1:[");
            putrep(&want, 'h', j * 29 + 1);
            puts_(&want, "];2-2:");
            for (size_t i = 0; i <= n; i++)
                puts_(&want, "[]");
            puts_(&want, ";3-3:");
            for (size_t i = 0; i <= n; i++)
                puts_(&want, "[x]");
            puts_(&want, ";");
            expect("dense fields", in.p, in.len, 0, want.p);
        }
    }
    free(in.p);
    free(want.p);
}

/* All offsets in one input: line k holds k+1 fields of k bytes each, so
 * commas and line ends fall at every offset of the blocks; LF, CR LF and
 * lone CR ends in turn. */
static void test_one_input(void **state)
{
    struct text in = { 0 }, want = { 0 };

    (void)state;
    for (size_t k = 1; k < 70; k++) {
        putf(&want, "%zu-%zu:", k, k);
        for (size_t f = 0; f <= k; f++) {
            if (f)
                puts_(&in, ",");
            putrep(&in, (char)('a' + f % 26), k);
            puts_(&want, "[");
            putrep(&want, (char)('a' + f % 26), k);
            puts_(&want, "]");
        }
        puts_(&in, k % 3 == 0 ? "\r\n" : k % 3 == 1 ? "\n" : "\r");
        puts_(&want, ";");
    }
    expect("one input", in.p, in.len, 0, want.p);
    free(in.p);
    free(want.p);
}

/* A quoted field (with a comma, a doubled quote and a line end in it)
 * opening at every offset, then a plain line. */
static void test_quote_offsets(void **state)
{
    struct text in = { 0 }, want = { 0 };

    (void)state;
    for (size_t k = 0; k < 140; k++) {
        in.len = want.len = 0;
        putrep(&in, 'x', k);
        puts_(&in, ",\"q,\"\"r\r\ns\",z\nplain,line\n");
        puts_(&want, "1-2:[");
        putrep(&want, 'x', k);
        puts_(&want, "][q,\"r^M^Js][z];3-3:[plain][line];");
        expect("quote offsets", in.p, in.len, 0, want.p);
    }
    free(in.p);
    free(want.p);
}

/* A stray quote at every offset of a field: libcsv's error, at the line
 * and field; the plain line before it is read. */
static void test_stray_quote_offsets(void **state)
{
    struct text in = { 0 }, want = { 0 };

    (void)state;
    for (size_t k = 1; k < 140; k++) {
        in.len = want.len = 0;
        puts_(&in, "a,b\nc,");
        putrep(&in, 'x', k);
        puts_(&in, "\"y\n");
        puts_(&want, "1-1:[a][b];!-4@2:2 malformed quoted field (a quote "
              "must open the field and be followed by a comma or the line "
              "end; write \"\" for a quote inside)");
        expect("stray quote offsets", in.p, in.len, 0, want.p);
    }
    free(in.p);
    free(want.p);
}

/* CR, CR LF and LF CR at every offset: with 8- to 40-byte buffers the
 * pair is split across refills at every place too. */
static void test_cr_offsets(void **state)
{
    static const char *const ends[] = { "\r", "\r\n", "\n\r" };
    struct text in = { 0 }, want = { 0 };

    (void)state;
    for (size_t e = 0; e < 3; e++) {
        for (size_t k = 0; k < 140; k++) {
            in.len = want.len = 0;
            puts_(&in, "p,");
            putrep(&in, 'x', k);
            puts_(&in, ends[e]);
            puts_(&in, "y,z\n");
            puts_(&want, "1-1:[p][");
            putrep(&want, 'x', k);
            /* LF CR is two line ends: an empty line 2, skipped. */
            putf(&want, "];%d-%d:[y][z];", e == 2 ? 3 : 2, e == 2 ? 3 : 2);
            expect("cr offsets", in.p, in.len, 0, want.p);
        }
    }
    free(in.p);
    free(want.p);
}

/* ---- the printable flag ---- */

/* Read in with each scan and every buffer and collect each record's
 * cs_record.printable as '1' or '0'. A flagged record must be what the
 * flag promises (split in place, every byte 0x20-0x7e, no quote). With
 * the 128 KiB buffer every line here is split in place, so the flags are
 * want; a smaller buffer may leave a line that straddles a refill to the
 * careful path, whose records say 0 (not known), never 1 for want's 0. */
static void expect_printable(const char *in, size_t n, const char *want)
{
    for (size_t j = 0, s, b; next_read(&j, &s, &b);) {
        cs_source_opts so = { threads, bufs[b] };
        cs_source_opts back = { 2, 128 * 1024 };
        cs_error err = { 0 };
        cs_reader *r = NULL;
        const cs_record *rec;
        char got[16];
        size_t k = 0;
        int rc;

        assert_int_equal(setenv("CRAMPSTAT_SCAN", scans[s], 1), 0);
        cs_source_set_defaults(&so);
        assert_int_equal(cs_reader_open_mem(&r, "t.csv", in, n, NULL, &err),
                         CS_OK);
        while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
            assert_true(k + 1 < sizeof got);
            got[k++] = rec->printable ? '1' : '0';
            if (!rec->printable)
                continue;
            assert_true(rec->fields[0].ptr == rec->raw.ptr);
            for (size_t i = 0; i < rec->raw.len; i++)
                assert_true((unsigned char)rec->raw.ptr[i] - 0x20u < 0x5fu &&
                            rec->raw.ptr[i] != '"');
        }
        got[k] = '\0';
        assert_int_equal(rc, 0);
        cs_reader_free(r);
        cs_source_set_defaults(&back);
        unsetenv("CRAMPSTAT_SCAN");
        if (bufs[b] == 128 * 1024) {
            assert_string_equal(got, want);
        } else {
            assert_int_equal(strlen(got), strlen(want));
            for (size_t i = 0; i < k; i++)
                assert_true(got[i] == '0' || want[i] == '1');
        }
    }
}

/* One byte outside 0x20-0x7e at every offset of a line that starts at
 * three offsets in its block; the line before and the one after are
 * printable, the latter with 0x20 and 0x7e, the edges of the range, and
 * followed at once by a line that starts with an unprintable byte (the
 * bytes around a line, in its first and last blocks, do not count). */
static void test_printable_offsets(void **state)
{
    static const char odd[] = { 0x00, '\t', 0x1f, 0x7f, (char)0x80,
                                (char)0xff };
    struct text in = { 0 };

    (void)state;
    for (size_t j = 0; j < 3; j++) {
        for (size_t k = 0; k < 140; k++) {
            in.len = 0;
            putrep(&in, 'h', j * 7 + 1);
            puts_(&in, "\n");
            putrep(&in, 'x', k);
            put(&in, &odd[(j + k) % sizeof odd], 1);
            putrep(&in, 'y', 139 - k);
            puts_(&in, ",z\na,");
            putrep(&in, '~', k);
            puts_(&in, " ,b\n");
            put(&in, &odd[(j + k + 1) % sizeof odd], 1);
            puts_(&in, "q\n");
            /* The first line is read before the first refill, by the
             * careful path: not flagged. */
            expect_printable(in.p, in.len, "0010");
        }
    }
    /* A quote takes the line to libcsv: not flagged. A line ended by CR
     * LF or a lone CR is split in place like one ended by LF. */
    expect_printable("\"a\",b\nc\r\nd\re\n", 13, "0111");
    free(in.p);
}

/* got, case c's read with scans[sc] and bufs[b], is want; the read is
 * named when not. */
static void expect_read(int c, size_t sc, size_t b, const struct text *got,
                        const struct text *want)
{
    if (strcmp(got->p, want->p) != 0) {
        print_message("case %d, scan %s, buffer %zu, threads %d\n",
                      c, scans[sc], bufs[b], threads);
        assert_string_equal(got->p, want->p);
    }
}

/* Random runs of lines of 1 to 140 bytes, most with 10 to 17 fields,
 * some with an unprintable byte, a CR, an empty line or a quote, so that
 * lines start at every offset of a block and their field ends and odd
 * bytes fall on either side of block edges (AVX-512 reads a line of
 * under 128 bytes as one 128-bit window): every scan gives the records
 * and flags the plain C scan gives with the same buffer (which decides
 * the lines read before a refill, by the careful path, not flagged). */
static void test_short_lines(void **state)
{
    static const char odd[] = { 0x00, '\t', 0x1f, 0x7f, (char)0x80,
                                (char)0xff };
    struct text in = { 0 }, want = { 0 }, got = { 0 };

    (void)state;
    for (int c = 0; c < 60; c++) {
        in.len = 0;
        while (in.len < 1500) {
            unsigned len = rnd(8) ? 40 + rnd(100) : 1 + rnd(140);
            unsigned nf = rnd(6) ? 10 + rnd(8) : rnd(30);
            size_t at = in.len;
            putrep(&in, 'a', len);
            for (unsigned i = 0; i < nf && len > 1; i++)
                in.p[at + rnd(len)] = ',';
            if (rnd(5) == 0)
                in.p[at + rnd(len)] = odd[rnd(sizeof odd)];
            if (rnd(40) == 0)
                in.p[at + rnd(len)] = '"';
            puts_(&in, rnd(20) == 0 ? "\r\n" : rnd(20) == 0 ? "\r" : "\n");
            if (rnd(30) == 0)
                puts_(&in, "\n");
        }
        for (size_t k = 0, sc, b; next_read(&k, &sc, &b);) {
            read_scan_flags(scans[sc], bufs[b], in.p, in.len, 0, 1, &got);
            read_scan_flags("scalar", bufs[b], in.p, in.len, 0, 1, &want);
            expect_read(c, sc, b, &got, &want);
        }
    }
    free(in.p);
    free(want.p);
    free(got.p);
}

/* Lines as R's write.csv and spreadsheets write them, made at random:
 * fields quoted or not, quoted ones holding commas, blanks, a tab or a
 * byte over 0x7f and now and then an escaped quote (which libcsv reads),
 * up to 90 fields and over 1 KiB a line (past what the quoted split
 * takes), CR LF or LF, the last line sometimes without one, so that
 * quotes, commas and line ends fall on both sides of block edges. Every
 * scan and buffer gives the fields the lines were made from. */
static void test_quoted_random(void **state)
{
    static const char some[] = "abcxyz ,\t\x80";
    struct text in = { 0 }, want = { 0 }, got = { 0 };

    (void)state;
    for (int c = 0; c < 30; c++) {
        unsigned long line = 0;
        in.len = want.len = 0;
        put(&want, "", 0);
        while (in.len < 2500) {
            unsigned nf = rnd(5) ? 1 + rnd(20) : 1 + rnd(90);
            putf(&want, "%lu-%lu:", line + 1, line + 1);
            for (unsigned i = 0; i < nf; i++) {
                unsigned len = rnd(8) ? rnd(12) : rnd(300);
                int quoted = rnd(3) != 0 || (nf == 1 && len == 0);
                put(&want, "[", 1);
                if (i)
                    puts_(&in, ",");
                if (quoted)
                    puts_(&in, "\"");
                for (unsigned k = 0; k < len; k++) {
                    /* unquoted: no comma; a quote, escaped, 1 in 200 */
                    char ch = some[rnd(sizeof some - 1)];
                    if (!quoted && ch == ',')
                        ch = 'q';
                    if (quoted && rnd(200) == 0) {
                        puts_(&in, "\"\"");
                        put(&want, "\"", 1);
                        continue;
                    }
                    put(&in, &ch, 1);
                    put(&want, &ch, 1);
                }
                if (quoted)
                    puts_(&in, "\"");
                put(&want, "]", 1);
            }
            put(&want, ";", 1);
            line++;
            puts_(&in, rnd(4) == 0 ? "\r\n" : "\n");
        }
        if (rnd(3) == 0) {   /* the last line without its end */
            in.len -= in.p[in.len - 2] == '\r' ? 2 : 1;
            in.p[in.len] = '\0';
        }
        for (size_t k = 0, sc, b; next_read(&k, &sc, &b);) {
            read_scan_flags(scans[sc], bufs[b], in.p, in.len, 0, 0, &got);
            expect_read(c, sc, b, &got, &want);
        }
    }
    free(in.p);
    free(want.p);
    free(got.p);
}

/* ---- caps: lines near CS_FIELD_MAX, rows near CS_FIELDS_MAX ---- */

static void big_line(struct text *in, size_t n1, size_t n2)
{
    in->len = 0;
    putrep(in, 'x', n1);
    if (n2 != (size_t)-1) {
        puts_(in, ",");
        putrep(in, 'y', n2);
    }
    puts_(in, "\nz\n");
}

/* Read in with each scan and a 4 KiB and a 128 KiB buffer (small ones
 * take minutes on megabyte lines): the field lengths of the first
 * record, or the error. */
static void expect_lengths(const struct text *in, const char *want)
{
    static const size_t big[] = { 4096, 128 * 1024 };

    for (threads = 1; threads <= 2; threads++)
    for (size_t s = 0; s < NSCANS; s++) {
        if (!scan_used(s))
            continue;
        for (size_t b = 0; b < 2; b++) {
            cs_source_opts so = { threads, big[b] };
            cs_source_opts back = { 2, 128 * 1024 };
            cs_error err = { 0 };
            cs_reader *r = NULL;
            const cs_record *rec;
            struct text got = { 0 };
            int rc;

            assert_int_equal(setenv("CRAMPSTAT_SCAN", scans[s], 1), 0);
            cs_source_set_defaults(&so);
            assert_int_equal(cs_reader_open_mem(&r, "t.csv", in->p, in->len,
                                                NULL, &err), CS_OK);
            put(&got, "", 0);
            while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
                putf(&got, "%lu:", rec->line);
                for (size_t i = 0; i < rec->nfields; i++)
                    putf(&got, "%zu%s", rec->fields[i].len,
                         i + 1 < rec->nfields ? "," : ";");
            }
            if (rc < 0)
                putf(&got, "!%d@%lu:%lu %s", err.code, err.line, err.col,
                     err.msg);
            cs_reader_free(r);
            cs_source_set_defaults(&back);
            unsetenv("CRAMPSTAT_SCAN");
            if (strcmp(got.p, want) != 0) {
                print_message("scan %s, buffer %zu\n", scans[s], big[b]);
                assert_string_equal(got.p, want);
            }
            free(got.p);
        }
    }
    threads = 1;
}

static void test_long_lines(void **state)
{
    struct text in = { 0 };
    char want[256];

    (void)state;
    big_line(&in, CS_FIELD_MAX - 1, (size_t)-1);
    expect_lengths(&in, "1:1048575;2:1;");
    big_line(&in, CS_FIELD_MAX, (size_t)-1);
    expect_lengths(&in, "1:1048576;2:1;");
    big_line(&in, CS_FIELD_MAX + 1, (size_t)-1);
    snprintf(want, sizeof want, "!%d@1:1 field longer than 1048576 bytes",
             CS_ELIMIT);
    expect_lengths(&in, want);
    /* Two fields, the line over CS_FIELD_MAX: the fast path leaves it to
     * the careful one, which reads it. */
    big_line(&in, CS_FIELD_MAX - 10, 100);
    expect_lengths(&in, "1:1048566,100;2:1;");
    big_line(&in, 100, CS_FIELD_MAX + 1);
    snprintf(want, sizeof want, "!%d@1:2 field longer than 1048576 bytes",
             CS_ELIMIT);
    expect_lengths(&in, want);
    free(in.p);
}

static void test_wide_lines(void **state)
{
    struct text in = { 0 }, want = { 0 };
    char e[256];

    (void)state;
    /* Up to 4096 one-byte fields: read; 4097: the cap, at field 4097. */
    static const size_t widths[] = { CS_FIELDS_MAX - 64, CS_FIELDS_MAX - 63,
                                     CS_FIELDS_MAX - 1, CS_FIELDS_MAX,
                                     CS_FIELDS_MAX + 1 };

    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        size_t m = widths[w];
        in.len = want.len = 0;
        for (size_t i = 0; i < m; i++)
            puts_(&in, i ? ",a" : "a");
        puts_(&in, "\nz\n");
        put(&want, "", 0);
        if (m > CS_FIELDS_MAX) {
            snprintf(e, sizeof e, "!%d@1:4097 more than 4096 fields",
                     CS_ELIMIT);
            puts_(&want, e);
        } else {
            puts_(&want, "1:");
            for (size_t i = 0; i < m; i++)
                puts_(&want, i + 1 < m ? "1," : "1;");
            puts_(&want, "2:1;");
        }
        expect_lengths(&in, want.p);
    }
    free(in.p);
    free(want.p);
}

/* ---- every scan reads random inputs the same way ---- */

static void test_scans_agree(void **state)
{
    static const char alpha[] = ",,,\"\n\r\r\nab";
    struct text in = { 0 }, ref = { 0 }, got = { 0 };

    (void)state;
    for (int round = 0; round < 400; round++) {
        size_t n = rnd(400);
        size_t buf = bufs[rnd(NBUFS)];

        threads = 1 + (round >> 1 & 1);
        in.len = 0;
        put(&in, "", 0);
        for (size_t i = 0; i < n; i++)
            put(&in, &alpha[rnd(sizeof alpha - 1)], 1);
        read_scan("scalar", buf, in.p, in.len, (int)(round & 1), &ref);
        for (size_t s = 1; s < NSCANS; s++) {
            if (!scan_here(scans[s]))
                continue;
            read_scan(scans[s], buf, in.p, in.len, (int)(round & 1), &got);
            assert_int_equal(got.len, ref.len);
            assert_memory_equal(got.p, ref.p, ref.len);
        }
    }
    threads = 1;
    free(in.p);
    free(ref.p);
    free(got.p);
}

/* CRAMPSTAT_SCAN names the scan; an unknown name or none picks the
 * widest the CPU has. */
static void test_pick(void **state)
{
    cs_error err = { 0 };
    cs_reader *r = NULL;
    const char *widest = scan_here("avx512") ? "avx512"
                       : scan_here("avx2") ? "avx2"
                       : scan_here("sse2") ? "sse2" : "scalar";

    (void)state;
    unsetenv("CRAMPSTAT_SCAN");
    assert_int_equal(cs_reader_open_mem(&r, "t", "a\n", 2, NULL, &err), CS_OK);
    assert_string_equal(cs__reader_scan(r), widest);
    cs_reader_free(r);
    setenv("CRAMPSTAT_SCAN", "avx1024", 1);
    assert_int_equal(cs_reader_open_mem(&r, "t", "a\n", 2, NULL, &err), CS_OK);
    assert_string_equal(cs__reader_scan(r), widest);
    cs_reader_free(r);
    unsetenv("CRAMPSTAT_SCAN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_fixed),
        cmocka_unit_test(test_index_random),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_comma_offsets),
        cmocka_unit_test(test_dense_fields),
        cmocka_unit_test(test_one_input),
        cmocka_unit_test(test_quote_offsets),
        cmocka_unit_test(test_stray_quote_offsets),
        cmocka_unit_test(test_cr_offsets),
        cmocka_unit_test(test_printable_offsets),
        cmocka_unit_test(test_short_lines),
        cmocka_unit_test(test_quoted_random),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_wide_lines),
        cmocka_unit_test(test_scans_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
