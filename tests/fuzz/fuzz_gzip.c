/* libFuzzer harness: the byte source (gzip detection, multi-member
 * inflate, truncation/CRC/length checks) over arbitrary bytes, with both
 * inflaters. Each input is read with the build's default inflater (ISA-L
 * when built in) and again with zlib (CRAMPSTAT_INFLATE=zlib), in
 * odd-sized pieces so that member boundaries fall everywhere, from a raw
 * buffer whose size varies with the input. The two must agree as
 * tests/test_source.c's test_inflaters_agree demands: the same result
 * code, message and byte offset; for a stream that reads, the same bytes,
 * members and consumed bytes, and no replay; before an error, bytes that
 * agree as far as both went.
 *
 * The one documented difference (src/source.c, docs/reliability.md): a
 * member whose Huffman code is incomplete where its data never looks
 * (zlib: "invalid distances set", "invalid literal/lengths set", "invalid
 * code lengths set") decodes under ISA-L to bytes whose CRC-32 and length
 * match, so ISA-L reads on where zlib stops. It is accepted only in that
 * shape: zlib fails with one of those three messages, ISA-L reads past
 * zlib's error offset (to the end, or to a later error), and everything
 * zlib produced before its error is what ISA-L produced. Any other
 * disagreement aborts.
 *
 * The decompressed total is capped so that a bomb cannot stall the run;
 * an input that hits the cap is compared only on its first bytes. */
#include <assert.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/source.h>

#define OUT_MAX ((size_t)64 << 10)

typedef struct outcome {
    long rc;
    cs_error err;
    size_t outlen;
    int capped;
    unsigned long members, replays;
    uint64_t consumed;
    const char *inflater;
} outcome;

static char out_a[OUT_MAX], out_b[OUT_MAX];

static void read_all(const uint8_t *data, size_t size, size_t buf,
                     const char *inflater, char *out, outcome *o)
{
    cs_source_opts so = { 1, buf };
    cs_source *s = NULL;
    size_t cap = 1 + (size ? data[0] % 4096 : 0) * 17;
    long n = 0;

    memset(o, 0, sizeof *o);
    if (inflater)
        setenv("CRAMPSTAT_INFLATE", inflater, 1);
    else
        unsetenv("CRAMPSTAT_INFLATE");
    if (cs_source_open_mem_opts(&s, "fuzz.gz", data, size, &so, &o->err) < 0) {
        assert(o->err.code != CS_OK);
        o->rc = o->err.code;
        return;
    }
    for (;;) {
        if (cap > OUT_MAX - o->outlen)
            cap = OUT_MAX - o->outlen;
        if (cap == 0) {
            o->capped = 1;
            break;
        }
        if ((n = cs_source_read(s, out + o->outlen, cap, &o->err)) <= 0)
            break;
        assert((size_t)n <= cap);
        o->outlen += (size_t)n;
        cap = cap * 3 % 70000 + 1;
    }
    if (n < 0)
        assert(o->err.code == n && o->err.msg[0]);
    else
        assert(o->err.code == CS_OK);
    o->rc = n;
    assert(cs_source_consumed(s) <= size);
    o->consumed = cs_source_consumed(s);
    o->members = cs_source_members(s);
    o->replays = cs_source_replays(s);
    o->inflater = cs_source_inflater_of(s);
    (void)cs_source_name(s);
    (void)cs_source_is_gzip(s);
    cs_source_free(s);
}

static int incomplete_code(const cs_error *e)
{
    return strstr(e->msg, "gzip: invalid distances set") ||
           strstr(e->msg, "gzip: invalid literal/lengths set") ||
           strstr(e->msg, "gzip: invalid code lengths set");
}

static void differ(const outcome *a, const outcome *b, const char *what)
{
    fprintf(stderr, "inflaters disagree (%s): %s rc %ld '%s' at %llu, "
            "%zu bytes; zlib rc %ld '%s' at %llu, %zu bytes\n", what,
            a->inflater ? a->inflater : "plain", a->rc, a->err.msg,
            a->err.offset, a->outlen, b->rc, b->err.msg, b->err.offset,
            b->outlen);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 8 bytes to 64 KiB, varying with the input. */
    size_t buf = (size_t)8 << (size % 14);
    size_t common;
    outcome a, b;

    read_all(data, size, buf, NULL, out_a, &a);
    if (!a.inflater || strcmp(a.inflater, "zlib") == 0) {
        /* Plain input, or a build without ISA-L: nothing to compare.
         * Still read it again with a small buffer: the same result. */
        read_all(data, size, 8, "zlib", out_b, &b);
    } else {
        read_all(data, size, buf, "zlib", out_b, &b);
        assert(b.inflater && strcmp(b.inflater, "zlib") == 0);
    }
    unsetenv("CRAMPSTAT_INFLATE");
    common = a.outlen < b.outlen ? a.outlen : b.outlen;
    if (memcmp(out_a, out_b, common) != 0)
        differ(&a, &b, "bytes");
    if (a.capped || b.capped)
        return 0;
    if (b.rc < 0 && incomplete_code(&b.err) && a.inflater &&
        strcmp(a.inflater, "isal") == 0 &&
        (a.rc == 0 || (a.err.has_offset && a.err.offset > b.err.offset))) {
        /* The known difference: ISA-L went on where zlib stopped, and
         * what zlib produced is the start of what ISA-L produced. */
        if (a.outlen < b.outlen)
            differ(&a, &b, "known difference, but zlib made more bytes");
        return 0;
    }
    if (a.rc != b.rc || a.err.code != b.err.code ||
        strcmp(a.err.msg, b.err.msg) != 0 ||
        a.err.has_offset != b.err.has_offset || a.err.offset != b.err.offset)
        differ(&a, &b, "result");
    if (a.rc == 0) {
        if (a.outlen != b.outlen || a.members != b.members ||
            a.consumed != b.consumed)
            differ(&a, &b, "length, members or consumed");
        if (a.replays != 0)
            differ(&a, &b, "a stream that reads was replayed");
    }
    return 0;
}
