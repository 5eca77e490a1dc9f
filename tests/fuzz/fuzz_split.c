/* libFuzzer harness: the reader against libcsv alone, on any bytes. The
 * reader splits lines without a quote itself (an SSE2 scan) and gives
 * every other line to libcsv, one physical line at a time; here libcsv
 * parses the whole input at once, with the reader's settings (strict, no
 * trimming). Wherever the reader reads the input through, both must give
 * the same records, field for field and byte for byte; where the reader
 * finds malformed CSV, libcsv must fail too, after the same records.
 * The reader's source runs in the caller's thread with a buffer of 8
 * bytes to 4 KiB that varies with the input, so that its refills split
 * lines, CR LF pairs and quoted fields anywhere. */
#include <assert.h>
#include <csv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/reader.h>
#include <crampstat/source.h>

#define MAXF 8192

typedef struct rec_list {
    size_t nrec;
    size_t nf[512];           /* fields per record, for the first 512 */
    size_t nfield;
    size_t off[MAXF], len[MAXF];
    char *bytes;
    size_t used, cap;
    int overflow;             /* more records or fields than kept */
} rec_list;

static void add_field(rec_list *l, const char *p, size_t n)
{
    if (l->overflow || l->nfield == MAXF || l->nrec >= 512) {
        l->overflow = 1;
        return;
    }
    if (l->used + n > l->cap) {
        l->cap = (l->used + n) * 2 + 64;
        l->bytes = realloc(l->bytes, l->cap);
        assert(l->bytes);
    }
    if (n)
        memcpy(l->bytes + l->used, p, n);
    l->off[l->nfield] = l->used;
    l->len[l->nfield] = n;
    l->used += n;
    l->nfield++;
    l->nf[l->nrec]++;
}

static void end_record(rec_list *l)
{
    if (l->nrec < 512)
        l->nrec++;
    else
        l->overflow = 1;
}

static void cb_field(void *s, size_t n, void *p) { add_field(p, s, n); }
static void cb_record(int c, void *p) { (void)c; end_record(p); }
static int no_space(unsigned char c) { (void)c; return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rec_list a, b;     /* the reader's, libcsv's */
    struct csv_parser p;
    cs_reader *r = NULL;
    cs_error err = {0};
    const cs_record *rec;
    const uint8_t *d = data;
    size_t n = size, fa = 0, fb = 0;
    int rc, bad;
    cs_source_opts so = { 1, (size_t)8 << (size % 10) };

    /* Compressed and UTF-16/32 inputs are another matter (fuzz_gzip). */
    if (size >= 1 && (data[0] == 0x1f || data[0] == 0xfd || data[0] == 0xfe ||
                      data[0] == 0xff || data[0] == 0x00 || data[0] == 0x28 ||
                      (data[0] == 'B' && size >= 2 && data[1] == 'Z')))
        return 0;
    cs_source_set_defaults(&so);
    free(a.bytes);
    free(b.bytes);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);

    if (cs_reader_open_mem(&r, "split.csv", data, size, NULL, &err) < 0)
        return 0;
    while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
        for (size_t i = 0; i < rec->nfields; i++)
            add_field(&a, rec->fields[i].ptr, rec->fields[i].len);
        end_record(&a);
    }
    cs_reader_free(r);
    if (rc < 0 && err.code != CS_EPARSE)
        return 0;             /* a cap, or input the reader refuses */
    if (a.overflow)
        return 0;

    /* The reader skips a UTF-8 byte order mark; libcsv would keep it. */
    if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
        d += 3;
        n -= 3;
    }
    assert(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) == 0);
    csv_set_space_func(&p, no_space);
    bad = csv_parse(&p, d, n, cb_field, cb_record, &b) != n;
    if (!bad)
        bad = csv_fini(&p, cb_field, cb_record, &b) != 0;
    csv_free(&p);
    if (b.overflow)
        return 0;

    /* A malformed file: libcsv fails too, and the records the reader gave
     * before its error are libcsv's first ones. */
    if (rc < 0)
        assert(bad && a.nrec <= b.nrec);
    else
        assert(!bad && a.nrec == b.nrec);
    for (size_t k = 0; k < a.nrec; k++) {
        assert(a.nf[k] == b.nf[k]);
        for (size_t i = 0; i < a.nf[k]; i++, fa++, fb++)
            assert(a.len[fa] == b.len[fb] &&
                   (a.len[fa] == 0 ||
                    memcmp(a.bytes + a.off[fa], b.bytes + b.off[fb],
                           a.len[fa]) == 0));
    }
    return 0;
}
