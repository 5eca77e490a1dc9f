/* libFuzzer harness: the reader's structural scans against each other
 * and against libcsv alone, on any bytes. The reader's fast path walks an
 * index of the commas and the other special bytes ('"' LF CR) built by
 * one of four scans (plain C, SSE2, AVX2 and AVX-512 where the CPU has
 * them; "avx512" splits the fields with AVX-512 too), with a third word
 * of the bytes outside 0x20-0x7e; here
 *  - each scan's index of the input is the plain C one, bit for bit;
 *  - the reader forced onto each scan (CRAMPSTAT_SCAN), with and without
 *    keep_empty_lines, gives the same records (fields, lines, raw text,
 *    the printable flag) and the same error (code, line, column,
 *    message), and a record flagged printable is split in place with
 *    every byte printable ASCII and no quote;
 *  - a record split in place (fields[0].ptr == raw.ptr) has its fields
 *    one after another in raw, one comma between each two;
 *  - with the reader's defaults, its records are those of libcsv parsing
 *    the whole input in one csv_parse with the reader's settings (strict,
 *    no trimming), and where the reader finds malformed CSV libcsv fails
 *    too, after the same records.
 *  - with lines checked ahead on the read-ahead thread
 *    (cs_reader_mark_ahead, the whole of each buffer), the reader gives
 *    the same records as without, on the plain C scan and on the widest:
 *    a checked record is a line split in place, ended by "\n", with the
 *    checker's word and the printable flag its bytes give; every third
 *    one is given back (cs_reader_unmark) and comes again unchecked.
 *  - with lines passed over by their first field (cs_reader_pass_lines,
 *    refusing those whose bytes sum to a multiple of 3), on the plain C
 *    scan and the widest, a caller that drops the records so refused
 *    gets the same records at the same lines and record numbers, and the
 *    same error, as one that drops them itself; the lines passed over and
 *    the records it dropped add up to those the other dropped.
 *  - with only the first fields split (cs_reader_split_head, 1 to 8 of
 *    them, from the input's size), on the plain C scan and the widest,
 *    a record with fields left unsplit is split in place with exactly
 *    that many set, and after cs_reader_split_rest the records are those
 *    of a reader that splits every field.
 * The source runs with a buffer of 8 bytes to 4 KiB that varies with the
 * input, so that refills split lines, CR LF pairs and quoted fields
 * anywhere; in the caller's thread or, for every other size, in a
 * read-ahead thread whose buffers the reader borrows. */
#include <assert.h>
#include <csv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/reader.h>
#include <crampstat/source.h>
#include "internal.h"

#define MAXF 8192
#define MAXR 512

static const char *const scans[] = { "scalar", "sse2", "avx2", "avx512" };
#define NSCANS (sizeof scans / sizeof scans[0])

typedef struct rec_list {
    size_t nrec;
    size_t nf[MAXR];          /* fields per record, for the first 512 */
    unsigned long line[MAXR], end_line[MAXR];
    uint64_t index[MAXR];     /* cs_record.index */
    size_t raw_len[MAXR];
    unsigned char printable[MAXR];   /* cs_record.printable */
    size_t nfield;
    size_t off[MAXF], len[MAXF];
    char *bytes;
    size_t used, cap;
    int overflow;             /* more records or fields than kept */
    cs_error err;             /* the reader's error, if any */
    int rc;
    uint64_t dropped, passed; /* records refused by first_kept */
} rec_list;

static void add_bytes(rec_list *l, const char *p, size_t n)
{
    if (l->used + n > l->cap) {
        l->cap = (l->used + n) * 2 + 64;
        l->bytes = realloc(l->bytes, l->cap);
        assert(l->bytes);
    }
    if (n)
        memcpy(l->bytes + l->used, p, n);
    l->used += n;
}

static void add_field(rec_list *l, const char *p, size_t n)
{
    if (l->overflow || l->nfield == MAXF || l->nrec >= MAXR) {
        l->overflow = 1;
        return;
    }
    l->off[l->nfield] = l->used;
    l->len[l->nfield] = n;
    add_bytes(l, p, n);
    l->nfield++;
    l->nf[l->nrec]++;
}

static void end_record(rec_list *l)
{
    if (l->nrec < MAXR)
        l->nrec++;
    else
        l->overflow = 1;
}

static void cb_field(void *s, size_t n, void *p) { add_field(p, s, n); }
static void cb_record(int c, void *p) { (void)c; end_record(p); }
static int no_space(unsigned char c) { (void)c; return 0; }

static void reset(rec_list *l)
{
    free(l->bytes);
    memset(l, 0, sizeof *l);
}

static int scan_here(const char *scan)
{
    uint64_t w[3];
    return cs__scan_index(scan, w, "", 0) == 0;
}

/* What a record is beyond its fields: its lines, its raw text and the
 * printable flag, for the first MAXR records. */
static void keep_record(rec_list *l, const cs_record *rec)
{
    if (l->nrec < MAXR) {
        l->line[l->nrec] = rec->line;
        l->end_line[l->nrec] = rec->end_line;
        l->index[l->nrec] = rec->index;
        l->raw_len[l->nrec] = rec->raw.len;
        l->printable[l->nrec] = rec->printable;
        add_bytes(l, rec->raw.ptr, rec->raw.len);
    }
}

/* The checker for lines checked ahead: a line of an odd number of
 * fields whose first is not one byte long; its word is the count. */
static int check_odd(void *ctx, const cs_record *rec, uint32_t *word)
{
    (void)ctx;
    if (rec->nfields % 2 == 0 || rec->fields[0].len == 1)
        return 0;
    *word = (uint32_t)rec->nfields;
    return 1;
}

/* The first fields kept (cs_first_fn): unless their bytes sum to a
 * multiple of 3. */
static int first_kept(void *ctx, cs_str f)
{
    unsigned sum = 0;

    (void)ctx;
    for (size_t i = 0; i < f.len; i++)
        sum += (unsigned char)f.ptr[i];
    return sum % 3 != 0;
}

/* Read the input with the reader on scan; 0 when that scan is not on
 * this CPU. With mark, lines are checked ahead after the first record
 * (when the source reads ahead), and a checked line is taken apart here
 * to be kept as the fields it is. With pass 1, the records first_kept
 * refuses are dropped; with pass 2, the reader also passes such lines
 * over from the first record on. */
static int read_scan(rec_list *l, const char *scan, const uint8_t *data,
                     size_t size, int keep_empty, int mark, int pass,
                     size_t head)
{
    cs_reader *r = NULL;
    cs_read_opts ro = { 0 };
    const cs_record *rec;
    unsigned long back = 0;   /* a checked line given back */

    reset(l);
    if (!scan_here(scan))
        return 0;
    ro.keep_empty_lines = keep_empty;
    setenv("CRAMPSTAT_SCAN", scan, 1);
    l->rc = cs_reader_open_mem(&r, "scan.csv", data, size, &ro, &l->err);
    unsetenv("CRAMPSTAT_SCAN");
    if (l->rc < 0)
        return 1;
    assert(strcmp(cs__reader_scan(r), scan) == 0);
    cs_reader_split_head(r, head);
    while ((l->rc = cs_reader_next(r, &rec, &l->err)) > 0) {
        if (rec->unsplit) {
            const char *at = rec->raw.ptr;
            assert(head && rec->nfields - rec->unsplit == head &&
                   !rec->checked && rec->fields[0].ptr == rec->raw.ptr);
            for (size_t i = 0; i < head; i++) {
                assert(rec->fields[i].ptr == at);
                at += rec->fields[i].len;
                assert(*at++ == ',');
            }
            cs_reader_split_rest(r);
            assert(rec->unsplit == 0);
        }
        if (pass == 2 && rec->index == 1)
            cs_reader_pass_lines(r, first_kept, NULL);
        if (pass && rec->nfields > 0 && !first_kept(NULL, rec->fields[0])) {
            l->dropped++;
            continue;
        }
        if (mark && rec->index == 1) {
            setenv("CRAMPSTAT_CHECK_AHEAD", "16", 1);
            cs_reader_mark_ahead(r, check_odd, NULL);
            unsetenv("CRAMPSTAT_CHECK_AHEAD");
        }
        if (back) {
            assert(!rec->checked && rec->line == back);
            back = 0;
        }
        if (rec->checked) {
            size_t nf = 1, i;
            int printable = 1;
            assert(mark && rec->nfields == 0 && rec->lf_end &&
                   rec->line == rec->end_line &&
                   rec->raw.ptr[rec->raw.len] == '\n');
            for (i = 0; i < rec->raw.len; i++) {
                unsigned char c = (unsigned char)rec->raw.ptr[i];
                assert(c != '"' && c != '\r' && c != '\n');
                nf += c == ',';
                printable &= c - 0x20u < 0x5fu;
            }
            assert(rec->mark == nf && nf % 2 == 1 &&
                   rec->printable == printable);
            if (rec->line % 3 == 0) {
                back = rec->line;
                cs_reader_unmark(r);
                continue;
            }
            keep_record(l, rec);
            for (const char *f = rec->raw.ptr, *e = f + rec->raw.len;;) {
                const char *c = memchr(f, ',', (size_t)(e - f));
                add_field(l, f, (size_t)((c ? c : e) - f));
                if (!c)
                    break;
                f = c + 1;
            }
            end_record(l);
            continue;
        }
        /* A printable record is what the flag says: split in place, every
         * byte printable ASCII, no quote (so no field holds one). */
        if (rec->printable) {
            assert(rec->nfields > 0 && rec->fields[0].ptr == rec->raw.ptr);
            for (size_t i = 0; i < rec->raw.len; i++)
                assert((unsigned char)rec->raw.ptr[i] - 0x20u < 0x5fu &&
                       rec->raw.ptr[i] != '"');
        }
        /* Split in place (reader.h): the fields lie in raw one after
         * another, one comma between each two; lines with quoted fields,
         * split by the reader or by libcsv, never claim it. */
        if (rec->nfields > 0 && rec->fields[0].ptr == rec->raw.ptr) {
            const char *at = rec->raw.ptr;
            for (size_t i = 0; i < rec->nfields; i++) {
                assert(rec->fields[i].ptr == at);
                at += rec->fields[i].len;
                if (i + 1 < rec->nfields)
                    assert(*at++ == ',');
            }
            assert(at == rec->raw.ptr + rec->raw.len);
        }
        keep_record(l, rec);
        for (size_t i = 0; i < rec->nfields; i++)
            add_field(l, rec->fields[i].ptr, rec->fields[i].len);
        end_record(l);
    }
    l->passed = cs_reader_passed(r);
    cs_reader_free(r);
    return 1;
}

/* Two readings are the same in every kept byte. */
static void same(const rec_list *a, const rec_list *b)
{
    assert(a->rc == b->rc && a->nrec == b->nrec && a->nfield == b->nfield &&
           a->overflow == b->overflow && a->used == b->used);
    assert(a->used == 0 || memcmp(a->bytes, b->bytes, a->used) == 0);
    for (size_t k = 0; k < a->nrec && k < MAXR; k++)
        assert(a->nf[k] == b->nf[k] && a->line[k] == b->line[k] &&
               a->end_line[k] == b->end_line[k] &&
               a->index[k] == b->index[k] &&
               a->raw_len[k] == b->raw_len[k] &&
               a->printable[k] == b->printable[k]);
    for (size_t i = 0; i < a->nfield; i++)
        assert(a->len[i] == b->len[i] && a->off[i] == b->off[i]);
    assert(a->err.code == b->err.code && a->err.line == b->err.line &&
           a->err.col == b->err.col &&
           strcmp(a->err.msg, b->err.msg) == 0 &&
           strcmp(a->err.src, b->err.src) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rec_list a[NSCANS], b, m, w, q;   /* the reader's per scan,
                                              * libcsv's, with lines checked
                                              * ahead, wanted, passed over */
    static uint64_t ref[3 * (65536 / 64 + 1)], idx[3 * (65536 / 64 + 1)];
    struct csv_parser p;
    const uint8_t *d = data;
    size_t n = size, fa = 0, fb = 0;
    int bad;
    /* The source in the caller's thread (the reader copies its bytes) or
     * reading ahead in its own (the reader borrows them in place). */
    cs_source_opts so = { 1 + (int)(size / 10 % 2), (size_t)8 << (size % 10) };

    if (size > 65536)
        return 0;
    cs_source_set_defaults(&so);

    /* 1. The index, bit for bit. */
    assert(cs__scan_index("scalar", ref, (const char *)data, size) == 0);
    for (size_t s = 1; s < NSCANS; s++) {
        size_t w = (size + 63) / 64 * 3;
        memset(idx, 0xA5, sizeof idx);
        if (cs__scan_index(scans[s], idx, (const char *)data, size) < 0)
            continue;
        assert(w == 0 || memcmp(idx, ref, w * sizeof *idx) == 0);
        assert(idx[w] == 0xA5A5A5A5A5A5A5A5ull);
    }

    /* 2. The reader on each scan, empty lines kept or not. */
    for (int keep = 1; keep >= 0; keep--) {
        size_t wide = 0;
        for (size_t s = 0; s < NSCANS; s++)
            if (read_scan(&a[s], scans[s], data, size, keep, 0, 0, 0)) {
                wide = s;
                if (s > 0)
                    same(&a[0], &a[s]);
            }
        /* 2b. With lines checked ahead, on the plain C scan and the
         * widest. */
        read_scan(&m, scans[0], data, size, keep, 1, 0, 0);
        same(&a[0], &m);
        if (wide > 0) {
            read_scan(&m, scans[wide], data, size, keep, 1, 0, 0);
            same(&a[0], &m);
        }
        /* 2c. With lines passed over, on the same two. */
        read_scan(&w, scans[0], data, size, keep, 0, 1, 0);
        for (size_t s = 0; s <= wide; s += wide ? wide : 1) {
            read_scan(&q, scans[s], data, size, keep, 0, 2, 0);
            same(&w, &q);
            assert(w.passed == 0 && q.passed + q.dropped == w.dropped);
        }
        /* 2d. With only the first fields split, on the same two. */
        for (size_t s = 0; s <= wide; s += wide ? wide : 1) {
            read_scan(&m, scans[s], data, size, keep, 0, 0, 1 + size % 8);
            same(&a[0], &m);
        }
    }

    /* 3. The reader (defaults) against libcsv. Compressed and UTF-16/32
     * inputs are another matter (fuzz_gzip); caps and refused input
     * stop the comparison. */
    if (size >= 1 && (data[0] == 0x1f || data[0] == 0xfd || data[0] == 0xfe ||
                      data[0] == 0xff || data[0] == 0x00 || data[0] == 0x28 ||
                      (data[0] == 'B' && size >= 2 && data[1] == 'Z')))
        return 0;
    if ((a[0].rc < 0 && a[0].err.code != CS_EPARSE) || a[0].overflow)
        return 0;
    /* The reader skips a UTF-8 byte order mark; libcsv would keep it. */
    if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
        d += 3;
        n -= 3;
    }
    reset(&b);
    assert(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0);
    csv_set_space_func(&p, no_space);
    bad = csv_parse(&p, d, n, cb_field, cb_record, &b) != n;
    if (!bad)
        bad = csv_fini(&p, cb_field, cb_record, &b) != 0;
    csv_free(&p);
    if (b.overflow)
        return 0;
    if (a[0].rc < 0)
        assert(bad && a[0].nrec <= b.nrec);
    else
        assert(!bad && a[0].nrec == b.nrec);
    for (size_t k = 0; k < a[0].nrec; k++) {
        assert(a[0].nf[k] == b.nf[k]);
        for (size_t i = 0; i < a[0].nf[k]; i++, fa++, fb++)
            assert(a[0].len[fa] == b.len[fb] &&
                   (a[0].len[fa] == 0 ||
                    memcmp(a[0].bytes + a[0].off[fa],
                           b.bytes + b.off[fb], a[0].len[fa]) == 0));
    }
    return 0;
}
