/* CSV records out of a byte source.
 *
 * libcsv is the parser of record, but it is a push parser whose callbacks
 * get no offsets. We feed it one physical line at a time, so we always know
 * which line a bad field is on. Most data rows hold no quote at all: for
 * those a plain split on commas gives exactly the fields libcsv would (no
 * trimming, no quoting), without copying, so only lines holding a '"' go
 * through libcsv. Fields of the fast path point into the chunk buffer;
 * fields from libcsv are copied into an arena that is reset, not freed,
 * per record: after warm-up nothing is allocated per row.
 *
 * The fast path reads a structural index of the buffer: one bit per byte
 * for the commas, one for the other bytes that end a plain field ('"'
 * LF CR) and one for the bytes that are not printable ASCII (outside
 * 0x20-0x7e), built 64 KiB at a time ahead of the reader by a vector
 * scan (AVX-512 or AVX2 where the CPU has it, SSE2 otherwise, or plain
 * C), chosen when the reader opens. The third word tells the validators
 * that a line's fields need no byte-wise check (cs_record.printable).
 * With AVX-512 the fields are also split from the commas' bits eight at
 * a time.
 *
 * A caller may have the source's read-ahead thread check lines ahead
 * (cs_reader_mark_ahead): that thread splits the lines of each buffer it
 * fills the same way and marks those its checker accepts, and the reader
 * hands such a line out unsplit (cs_record.checked) when it reaches it. */
#include <csv.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
/* The AVX2 and AVX-512 code is compiled for them by function attributes
 * and called only where the CPU has them: the build needs no -mavx2. */
#include <immintrin.h>
#define CS_SCAN_AVX2 1
#endif
#include <stdlib.h>
#include <string.h>
#include <crampstat/reader.h>
#include "internal.h"

/* The decompressed buffer starts at twice the source's raw buffer (256
 * KiB by default) and doubles while one line fills it, up to LINE_BUF:
 * the same limit whatever the start, so a long line meets the same error
 * with any buffer size. */
#define LINE_BUF (2 * CS_RECORD_MAX)

/* One block of the structural index: three words for 64 bytes of buf. */
typedef void scan_fn(uint64_t *idx, const char *p, size_t n);

struct cs_reader {
    cs_source *src;
    cs_read_opts opts;
    char *buf;              /* decompressed bytes: own, or lent (below) */
    size_t cap, len, pos;   /* room, filled, next unread */
    char *own;              /* the reader's buffer, own_cap bytes */
    size_t own_cap;
    int lends;              /* refill may borrow the source's buffers */
    int eof;                /* the source is exhausted */
    int bom_checked;
    unsigned long line;     /* lines completed so far */
    uint64_t records;

    scan_fn *scan;          /* builds the index: scan_scalar, _sse2, ... */
    const char *scan_name;  /* "scalar", "sse2", "avx2" or "avx512" */
    int wide;               /* fields split by put_fields_wide */
    int popcnt;             /* the head's commas counted by popcnt */
    uint64_t *idx;          /* per 64 bytes of buf: commas, '"' LF CR, and
                             * bytes outside 0x20-0x7e */
    size_t idx_cap;         /* words allocated */
    size_t ix_from, ix_end; /* buf[ix_from, ix_end) is in idx */

    struct csv_parser csv;
    int in_csv;             /* a libcsv record is open */
    int csv_done;           /* libcsv finished a record */
    int csv_limit;          /* a cap was hit inside a callback */
    size_t csv_bytes;       /* bytes fed to libcsv for this record */
    unsigned long rec_line; /* first line of the current record */
    unsigned long feed_line;  /* line being fed to libcsv */
    unsigned long field_line; /* line where the open field started */
    unsigned long limit_line; /* start line of the field over a cap */

    cs_buf arena;           /* field bytes copied from libcsv */
    size_t *offs;           /* (offset, length) pairs into arena */
    cs_str *fields;
    size_t nfields, fcap;
    cs_buf raw;             /* raw text of a multi-line record */
    char keep[CS_RAW_KEEP]; /* the first bytes of a skipped record */
    int skip_overlong;      /* cs_reader_skip_overlong */
    int skipped_now;        /* the last record was skipped */
    unsigned long skipped_col;  /* its field over the cap, from 1; 0: none */
    uint64_t skipped;       /* ... and this long */
    size_t nkeep;
    char why[384];          /* why it was skipped */
    cs_record rec;
    cs_error failed;        /* the first error, returned again after */
    int other;              /* failed, or lines passed over: next_other */
    void (*on_move)(void *); /* cs_reader_on_move */
    void *on_move_ctx;

    cs_marker *marker;      /* cs_reader_mark_ahead: lines checked ahead */
    const uint64_t *mk;     /* the borrowed buffer's marks */
    size_t mk_n, mk_i;      /* marks, marks used */
    const char *mk_at;      /* where the next marked line starts */

    size_t head;            /* cs_reader_split_head: fields split; 0 all */
    cs_first_fn *pass;      /* cs_reader_pass_lines: keep this line? */
    void *pass_ctx;
    uint64_t passed;        /* lines it passed over */
};

/* Checking lines ahead on the read-ahead thread (cs_reader_mark_ahead):
 * a structural index and field slots of its own. */
#define MARK_LINE 1024      /* the longest line it checks */
#define MARK_FIELDS 64      /* the most fields of a line it checks */
#define MARK_CHECKED ((uint64_t)1 << 63)   /* a mark's line was accepted */
#define MARK_PRINTABLE ((uint64_t)1 << 62) /* ... and is printable ASCII */
#define MARK_LEN(m) ((size_t)((m) >> 32 & 0x3fffffffu))
struct cs_marker {
    void (*scan)(uint64_t *idx, const char *p, size_t n);
    int wide;
    uint64_t *idx;          /* for a whole buffer of the source's */
    cs_mark_check *check;
    void *ctx;
    cs_str fields[MARK_FIELDS + 64 + 8];
};

/* ---- the structural index ------------------------------------------- */

/* Bytes that end a field of the fast path: 1 for ',', 2 for '"' LF CR. */
static const unsigned char special[256] = {
    [','] = 1, ['"'] = 2, ['\n'] = 2, ['\r'] = 2
};

/* The bits of the bytes from b to m (< 64) of the block at p, one at a
 * time: the tail of a buffer. */
static void scan_bytes(uint64_t *idx, const char *p, size_t b, size_t m)
{
    for (size_t i = b; i < m; i++) {
        unsigned char c = (unsigned char)p[i];
        unsigned t = special[c];
        idx[0] |= (uint64_t)(t & 1) << i;
        idx[1] |= (uint64_t)(t >> 1) << i;
        idx[2] |= (uint64_t)(c - 0x20u >= 0x5fu) << i;
    }
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__)
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_LOW7 0x7f7f7f7f7f7f7f7full
/* Eight bytes at a time in a 64-bit word (SWAR). For a byte x of w and a
 * target c under 0x80, ((x & 0x7f) ^ c) + 0x7f carries into the top bit
 * unless x's low seven bits are c's, and x's own top bit rules out the
 * rest: no false positives, unlike the usual has-zero-byte test. The
 * top bits are then gathered into one bit per byte by a multiply. */
static inline unsigned swar_pack(uint64_t top)
{
    return (unsigned)(((top >> 7) * 0x0102040810204080ull) >> 56);
}

static inline void swar_word(const char *p, unsigned *comma, unsigned *other,
                             unsigned *odd)
{
    uint64_t w, w7, nc, nq, nl, nr, ge20, is7f;

    memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);   /* byte i at bits 8i..8i+7 */
#endif
    w7 = w & SWAR_LOW7;
    nc = (w7 ^ (SWAR_ONES * ',')) + SWAR_LOW7;
    nq = (w7 ^ (SWAR_ONES * '"')) + SWAR_LOW7;
    nl = (w7 ^ (SWAR_ONES * '\n')) + SWAR_LOW7;
    nr = (w7 ^ (SWAR_ONES * '\r')) + SWAR_LOW7;
    *comma = swar_pack(~(nc | w) & ~SWAR_LOW7);
    *other = swar_pack(~((nq & nl & nr) | w) & ~SWAR_LOW7);
    /* Printable: top bit clear, low seven bits at least 0x20 (adding 0x60
     * carries into the top bit) and not 0x7f (adding 1 does). */
    ge20 = w7 + SWAR_ONES * 0x60;
    is7f = w7 + SWAR_ONES;
    *odd = swar_pack(~(ge20 & ~is7f & ~w) & ~SWAR_LOW7);
}
#endif

/* The index of n bytes at p (p is at a multiple of 64 in buf): for each
 * 64 bytes, a word of the commas (bit i: p[i]), a word of the other
 * special bytes and a word of the bytes outside 0x20-0x7e. A last block
 * under 64 bytes has no bits past n; nothing past p + n is read. This
 * plain C scan (eight bytes a step where the compiler allows) is what
 * builds without SSE2 use; the vector scans must match it bit for bit
 * (tests/test_reader_scan.c, fuzz_scan). */
static void scan_scalar(uint64_t *idx, const char *p, size_t n)
{
    for (size_t b = 0; b < n; b += 64, idx += 3) {
        size_t m = n - b < 64 ? n - b : 64, i = 0;
        uint64_t cm = 0, om = 0, xm = 0;

#ifdef SWAR_ONES
        for (; i + 8 <= m; i += 8) {
            unsigned c, o, x;
            swar_word(p + b + i, &c, &o, &x);
            cm |= (uint64_t)c << i;
            om |= (uint64_t)o << i;
            xm |= (uint64_t)x << i;
        }
#endif
        idx[0] = cm;
        idx[1] = om;
        idx[2] = xm;
        scan_bytes(idx, p + b, i, m);
    }
}

#ifdef __SSE2__
/* Sixteen bytes at a time: every x86-64 has SSE2. */
static void scan_sse2(uint64_t *idx, const char *p, size_t n)
{
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    const __m128i shift = _mm_set1_epi8(0x60), edge = _mm_set1_epi8(-34);
    size_t b = 0;

    for (; n - b >= 64; b += 64, idx += 3) {
        uint64_t c = 0, o = 0, x = 0;

        for (int k = 0; k < 4; k++) {
            __m128i v = _mm_loadu_si128(
                (const __m128i *)(const void *)(p + b + 16 * k));
            __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
            /* Plus 0x60, the printable bytes 0x20-0x7e are -128 to -34
             * as signed bytes: the rest are over -34. */
            __m128i x8 = _mm_cmpgt_epi8(_mm_add_epi8(v, shift), edge);
            c |= (uint64_t)(unsigned)_mm_movemask_epi8(
                     _mm_cmpeq_epi8(v, comma)) << (16 * k);
            o |= (uint64_t)(unsigned)_mm_movemask_epi8(m) << (16 * k);
            x |= (uint64_t)(unsigned)_mm_movemask_epi8(x8) << (16 * k);
        }
        idx[0] = c;
        idx[1] = o;
        idx[2] = x;
    }
    if (b < n)
        scan_scalar(idx, p + b, n - b);
}
#endif

#ifdef CS_SCAN_AVX2
/* Thirty-two bytes at a time. */
__attribute__((target("avx2")))
static void scan_avx2(uint64_t *idx, const char *p, size_t n)
{
    const __m256i comma = _mm256_set1_epi8(','), quote = _mm256_set1_epi8('"');
    const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
    const __m256i shift = _mm256_set1_epi8(0x60);
    const __m256i edge = _mm256_set1_epi8(-34);
    size_t b = 0;

    for (; n - b >= 64; b += 64, idx += 3) {
        uint64_t c = 0, o = 0, x = 0;

        for (int k = 0; k < 2; k++) {
            __m256i v = _mm256_loadu_si256(
                (const __m256i *)(const void *)(p + b + 32 * k));
            __m256i m = _mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
                _mm256_or_si256(_mm256_cmpeq_epi8(v, lf),
                                _mm256_cmpeq_epi8(v, cr)));
            __m256i x8 = _mm256_cmpgt_epi8(_mm256_add_epi8(v, shift), edge);
            c |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
                     _mm256_cmpeq_epi8(v, comma)) << (32 * k);
            o |= (uint64_t)(uint32_t)_mm256_movemask_epi8(m) << (32 * k);
            x |= (uint64_t)(uint32_t)_mm256_movemask_epi8(x8) << (32 * k);
        }
        idx[0] = c;
        idx[1] = o;
        idx[2] = x;
    }
    if (b < n)
        scan_scalar(idx, p + b, n - b);
}
#endif

#ifdef CS_SCAN_AVX2
/* Sixty-four bytes at a time, compared straight into mask registers, on
 * CPUs with AVX-512 BW, VL and VBMI2. The name also stands for the field
 * split of the same instruction set (put_fields_wide below): "avx512"
 * picks both, each narrower name neither. */
#define CS_SCAN_AVX512 1
/* popcnt: checked with the rest in scan_runs. Not lzcnt: the CPU's
 * feature bits are not checked for it, and where it is missing its
 * encoding runs as bsr, which counts the other way. */
#define AVX512_TARGET "avx512f,avx512bw,avx512vl,avx512vbmi2,popcnt"

/* The quote, LF and CR by their low four bits ('"' 0x22, LF 0x0a, CR
 * 0x0d), in each 16-byte lane: a byte is one of them just when the entry
 * its low bits pick is the byte itself (a byte from 0x80 up picks 0). */
static const char specials_by_low[16] = {
    -1, -1, '"', -1, -1, -1, -1, -1, -1, -1, '\n', -1, -1, '\r', -1, -1
};

__attribute__((target(AVX512_TARGET)))
static void scan_avx512(uint64_t *idx, const char *p, size_t n)
{
    const __m512i comma = _mm512_set1_epi8(',');
    const __m512i lut = _mm512_broadcast_i32x4(
        _mm_loadu_si128((const __m128i *)(const void *)specials_by_low));
    /* x + 1 below 0x21 as a signed byte: 0x00-0x1f, and 0x7f and up,
     * which wrap to the negative bytes and 0 */
    const __m512i one = _mm512_set1_epi8(1), odd = _mm512_set1_epi8(0x21);
    size_t b = 0;

    for (; n - b >= 64; b += 64, idx += 3) {
        __m512i v = _mm512_loadu_si512((const void *)(p + b));
        idx[0] = _mm512_cmpeq_epi8_mask(v, comma);
        idx[1] = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(lut, v), v);
        idx[2] = _mm512_cmplt_epi8_mask(_mm512_add_epi8(v, one), odd);
    }
    if (b < n)
        scan_scalar(idx, p + b, n - b);
}
#endif

static const struct {
    const char *name;
    scan_fn *fn;
} scans[] = {   /* narrowest first */
    { "scalar", scan_scalar },
#ifdef __SSE2__
    { "sse2", scan_sse2 },
#endif
#ifdef CS_SCAN_AVX2
    { "avx2", scan_avx2 },
#endif
#ifdef CS_SCAN_AVX512
    { "avx512", scan_avx512 },
#endif
};
#define NSCANS (sizeof scans / sizeof scans[0])

/* Whether this CPU runs scans[i]. */
static int scan_runs(size_t i)
{
#ifdef CS_SCAN_AVX2
    if (scans[i].fn == scan_avx2)
        return __builtin_cpu_supports("avx2");
#endif
#ifdef CS_SCAN_AVX512
    if (scans[i].fn == scan_avx512)
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512vbmi2") &&
               __builtin_cpu_supports("popcnt");
#endif
    (void)i;
    return 1;
}

/* The index in scans[] of the scan called name that this CPU runs, or
 * NSCANS. */
static size_t scan_find(const char *name)
{
    for (size_t i = 0; i < NSCANS; i++)
        if (strcmp(scans[i].name, name) == 0)
            return scan_runs(i) ? i : NSCANS;
    return NSCANS;
}

/* The widest scan the CPU runs, unless CRAMPSTAT_SCAN (scalar, sse2 or
 * avx2) names one, so that tests and comparisons can force each. A name
 * this build or CPU lacks falls back to the default: every scan gives
 * the same bits, only their speed differs. */
static void scan_pick(cs_reader *r)
{
    const char *want = getenv("CRAMPSTAT_SCAN");
    size_t i = want ? scan_find(want) : NSCANS;

    if (i == NSCANS)
        for (i = NSCANS - 1; i > 0 && !scan_runs(i); i--)
            ;
    r->scan = scans[i].fn;
    r->scan_name = scans[i].name;
#ifdef CS_SCAN_AVX512
    r->wide = scans[i].fn == scan_avx512;
#endif
#ifdef CS_SCAN_AVX2
    /* With the AVX2 scan (its CPUs have it): the plain C count stays
     * with the narrower scans, where tests that force them reach it. */
    r->popcnt = scans[i].fn == scan_avx2 && __builtin_cpu_supports("popcnt");
#endif
}

int cs__scan_index(const char *name, uint64_t *idx, const char *p, size_t n)
{
    size_t i = scan_find(name);

    if (i == NSCANS)
        return -1;
    scans[i].fn(idx, p, n);
    return 0;
}

const char *cs__reader_scan(const cs_reader *r) { return r->scan_name; }

/* Make the index hold the block of byte at (< r->len), scanning up to
 * INDEX_AHEAD bytes on from there: the index holds the bytes of
 * [ix_from, ix_end), whole blocks but for a last one that ends the
 * buffer, and grows from its end, or starts again at at's block when at
 * lies outside it (lines the read-ahead thread checked are never scanned
 * here). Refill resets it when it moves the bytes, and takes a short last
 * block out of it when it adds bytes after them. Returns 0 when the index
 * could not grow with the buffer. */
#define INDEX_AHEAD ((size_t)64 << 10)

/* Whether the index holds byte at: the test index_at begins with, which
 * the line walk makes inline before it calls index_at. */
static inline int indexed(const cs_reader *r, size_t at)
{
    return at >= r->ix_from && at < r->ix_end;
}

static int index_at(cs_reader *r, size_t at)
{
    size_t from, to;

    if (indexed(r, at))
        return 1;
    if ((r->len + 63) / 64 * 3 > r->idx_cap) {
        size_t n = (r->cap + 63) / 64 * 3;
        uint64_t *p = realloc(r->idx, n * sizeof *p);
        if (!p)
            return 0;
        r->idx = p;
        r->idx_cap = n;
    }
    from = r->ix_end & ~(size_t)63;
    if (at < r->ix_from || (at & ~(size_t)63) > from)
        r->ix_from = from = at & ~(size_t)63;
    to = (at + INDEX_AHEAD) & ~(size_t)63;
    if (to > r->len)
        to = r->len;
    r->scan(r->idx + from / 64 * 3, r->buf + from, to - from);
    r->ix_end = to;
    return 1;
}

static int grow_fields(cs_reader *r)
{
    size_t n = r->fcap ? r->fcap * 2 : 64;
    size_t *o;
    cs_str *f;

    if (r->fcap >= CS_FIELDS_MAX)
        return CS_ELIMIT;
    if (n > CS_FIELDS_MAX)
        n = CS_FIELDS_MAX;
    if (!(o = realloc(r->offs, n * 2 * sizeof *o)))
        return CS_ENOMEM;
    r->offs = o;
    if (!(f = realloc(r->fields, n * sizeof *f)))
        return CS_ENOMEM;
    r->fields = f;
    r->fcap = n;
    return CS_OK;
}

static void on_field(void *s, size_t len, void *payload)
{
    cs_reader *r = payload;

    if (r->csv_limit)
        return;
    /* libcsv calls us only when a field ends, possibly lines after it
     * began: a cap error names the line where the field started. */
    r->limit_line = r->field_line;
    if (len > CS_FIELD_MAX) {
        r->csv_limit = CS_ELIMIT;
        return;
    }
    if (r->nfields == r->fcap) {
        int rc = grow_fields(r);
        if (rc < 0) {
            r->csv_limit = rc;
            return;
        }
    }
    r->offs[2 * r->nfields] = r->arena.len;
    r->offs[2 * r->nfields + 1] = len;
    if (cs_buf_append(&r->arena, s, len) < 0) {
        r->csv_limit = CS_ENOMEM;
        return;
    }
    r->nfields++;
    /* The next field starts right after this delimiter, on this line. */
    r->field_line = r->feed_line;
}

static void on_record(int c, void *payload)
{
    cs_reader *r = payload;
    (void)c;
    r->csv_done = 1;
}

/* Never trim: RFC 4180 says spaces are part of a field. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int csv_setup(cs_reader *r)
{
    /* Strict mode: without it, disabling trimming lets a stray quote
     * swallow the rest of the file into one field. */
    if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return CS_ENOMEM;
    csv_set_space_func(&r->csv, no_space);
    /* libcsv grows its field buffer by a fixed block (128 bytes by
     * default), so a 1 MiB quoted field took 8192 reallocs; with 64 KiB it
     * takes 16, and the buffer is kept across records. */
    csv_set_blk_size(&r->csv, 64 * 1024);
    return CS_OK;
}

static int reader_init(cs_reader *r, const cs_read_opts *o, cs_error *err)
{
    if (o)
        r->opts = *o;
    r->cap = r->own_cap = 2 * cs_source_buf_size(r->src);
    r->idx_cap = (r->cap + 63) / 64 * 3;
    if (!(r->buf = r->own = malloc(r->cap)) ||
        !(r->idx = malloc(r->idx_cap * sizeof *r->idx)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    scan_pick(r);
    if (csv_setup(r) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    cs_buf_init(&r->arena, CS_RECORD_MAX + 1024);
    cs_buf_init(&r->raw, CS_RECORD_MAX + 1024);
    if (grow_fields(r) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return CS_OK;
}

int cs_reader_open(cs_reader **out, const char *path, const cs_read_opts *o,
                   cs_error *err)
{
    cs_reader *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (cs_source_open(&r->src, path, err) < 0 || reader_init(r, o, err) < 0) {
        cs_reader_free(r);
        return err->code;
    }
    *out = r;
    return CS_OK;
}

int cs_reader_open_mem(cs_reader **out, const char *name, const void *data,
                       size_t len, const cs_read_opts *o, cs_error *err)
{
    cs_reader *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (cs_source_open_mem(&r->src, name, data, len, err) < 0 ||
        reader_init(r, o, err) < 0) {
        cs_reader_free(r);
        return err->code;
    }
    *out = r;
    return CS_OK;
}

/* Byte order marks at the start of the decompressed text. The source
 * refuses UTF-16/32 in raw bytes, but only the reader sees what a gzip
 * member holds. */
static const struct {
    const char *bytes;
    size_t len;
    int utf8;
} boms[] = {
    { "\xEF\xBB\xBF", 3, 1 },
    { "\xFF\xFE", 2, 0 },          /* UTF-16LE, and UTF-32LE's start */
    { "\xFE\xFF", 2, 0 },          /* UTF-16BE */
    { "\0\0\xFE\xFF", 4, 0 },      /* UTF-32BE */
};

/* Decide on a BOM, only at the start of the stream: a short first read (a
 * pipe) may hold a whole line, and a BOM-like sequence later on is data.
 * While the bytes so far are a proper prefix of a BOM the decision waits;
 * no line can have been consumed then (no BOM prefix holds a line end).
 * Returns 1, or a negative code for UTF-16/32. */
static int check_bom(cs_reader *r, cs_error *err)
{
    int undecided = 0;

    for (size_t i = 0; i < sizeof boms / sizeof boms[0]; i++) {
        size_t k = r->len < boms[i].len ? r->len : boms[i].len;
        if (memcmp(r->buf, boms[i].bytes, k) != 0)
            continue;
        if (k < boms[i].len) {
            undecided = 1;
            continue;
        }
        r->bom_checked = 1;
        if (!boms[i].utf8)
            return cs_error_at(err, CS_EPARSE,
                (cs_pos){ cs_source_name(r->src), 1, 0 },
                "UTF-16 or UTF-32 text is not supported; convert to UTF-8");
        r->pos = boms[i].len;
        return 1;
    }
    if (!undecided)
        r->bom_checked = 1;
    return 1;
}

/* The unread tail (the unfinished line) to the front of the reader's own
 * buffer, grown to hold it when it comes from a lent one. */
static int tail_home(cs_reader *r, cs_error *err)
{
    size_t tail = r->len - r->pos;

    if (r->buf == r->own) {
        if (r->pos > 0)
            memmove(r->own, r->buf + r->pos, tail);
    } else {
        if (tail > r->own_cap) {
            /* As the buffer grows for a long line; tail <= LINE_BUF. */
            size_t cap = r->own_cap;
            char *p;
            while (cap < tail)
                cap = cap < LINE_BUF / 2 ? cap * 2 : LINE_BUF;
            if (!(p = realloc(r->own, cap)))
                return cs_error_set(err, CS_ENOMEM, "out of memory");
            r->own = p;
            r->own_cap = cap;
        }
        memcpy(r->own, r->buf + r->pos, tail);
        r->buf = r->own;
        r->cap = r->own_cap;
    }
    if (r->pos > 0)
        r->ix_from = r->ix_end = 0;  /* at pos 0 the bytes keep their offsets */
    r->len = tail;
    r->pos = 0;
    return 1;
}

/* Read more after the unread tail. Returns 1 when bytes were added, 0 at
 * the end of input. When the source reads ahead in its own thread, its
 * buffer is borrowed in place and the tail copied in front of it (a line,
 * not the buffer), unless the tail is longer than the room there; else
 * the tail moves to the front of the reader's buffer and the source's
 * bytes are copied after it. That buffer grows (up to the record cap)
 * only when one line fills it. */
static int refill(cs_reader *r, cs_error *err)
{
    long n;

    r->mk_n = r->mk_i = 0;   /* the bytes move */
    if (r->eof)
        return 0;
    if (r->on_move)
        r->on_move(r->on_move_ctx);
    if (r->lends && r->len - r->pos <= cs_source_buf_size(r->src)) {
        char *p;
        int rc = tail_home(r, err);
        if (rc < 0)
            return rc;
        /* The lent buffer from before is given back here. */
        n = cs_source_borrow(r->src, &p, err);
        if (n < 0)
            return (int)n;
        if (n == 0) {
            r->eof = 1;
            return 0;
        }
        memcpy(p - r->len, r->own, r->len);
        r->buf = p - r->len;
        r->len += (size_t)n;
        r->cap = r->len;
        r->ix_from = r->ix_end = 0;
        if (r->marker)
            r->mk_n = cs_source_marks(r->src, &r->mk_at, &r->mk);
        return r->bom_checked ? 1 : check_bom(r, err);
    }
    if ((n = tail_home(r, err)) < 0)
        return (int)n;
    if (r->len == r->cap) {
        size_t cap = r->cap < LINE_BUF / 2 ? r->cap * 2 : LINE_BUF;
        char *p;
        if (r->cap >= LINE_BUF)
            return cs_error_at(err, CS_ELIMIT,
                (cs_pos){ cs_source_name(r->src), r->line + 1, 0 },
                "line longer than %zu bytes", CS_RECORD_MAX);
        if (!(p = realloc(r->own, cap)))
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        r->buf = r->own = p;
        r->cap = r->own_cap = cap;
    }
    n = cs_source_read(r->src, r->buf + r->len, r->cap - r->len, err);
    if (n < 0)
        return (int)n;
    if (n == 0) {
        r->eof = 1;
        return 0;
    }
    r->len += (size_t)n;
    r->ix_end &= ~(size_t)63;   /* a short last block is no longer last */
    /* After the first read the source knows whether it reads ahead. A
     * lent buffer with the room before it stays within LINE_BUF, so a
     * line the own buffer would refuse is never read whole in one. */
    r->lends = cs_source_lends(r->src) > 0 &&
               cs_source_lends(r->src) + cs_source_buf_size(r->src) <=
                   LINE_BUF;
    if (!r->bom_checked)
        return check_bom(r, err);
    return 1;
}

/* Where the current line ends: the index of its terminator ("\n", "\r\n"
 * or a lone "\r"), or r->len when the buffer holds no complete terminator
 * yet (a "\r" at the very end may still be followed by "\n"). *quote is
 * set when the line holds a '"'. */
static size_t find_eol(const cs_reader *r, size_t from, int *quote)
{
    const char *p = r->buf + from, *end = r->buf + r->len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    const char *cr = memchr(p, '\r', (size_t)(stop - p));

    if (cr && (cr + 1 < end || r->eof))
        stop = cr;
    else if (cr)
        stop = end;
    *quote = memchr(p, '"', (size_t)(stop - p)) != NULL;
    return (size_t)(stop - r->buf);
}

/* Length of the terminator at i ("\r\n" = 2). */
static size_t eol_len(const cs_reader *r, size_t i)
{
    if (i >= r->len)
        return 0;
    if (r->buf[i] == '\r' && i + 1 < r->len && r->buf[i + 1] == '\n')
        return 2;
    return 1;
}

static void finish_fields(cs_reader *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        r->fields[i].ptr = r->arena.ptr + r->offs[2 * i];
        r->fields[i].len = r->offs[2 * i + 1];
    }
}

/* Room in r->fields for one more field of line `line`; the error names
 * that field when the fields cap is reached. */
static int room_for_field(cs_reader *r, unsigned long line, cs_error *err)
{
    int rc;

    if (r->nfields < r->fcap || (rc = grow_fields(r)) == CS_OK)
        return CS_OK;
    return rc == CS_ENOMEM
        ? cs_error_set(err, CS_ENOMEM, "out of memory")
        : cs_error_at(err, CS_ELIMIT,
            (cs_pos){ cs_source_name(r->src), line, r->nfields + 1 },
            "more than %d fields", CS_FIELDS_MAX);
}

/* Split line `line` (p, n bytes, no terminator) on commas. */
static int split_plain(cs_reader *r, const char *p, size_t n,
                       unsigned long line, cs_error *err)
{
    const char *end = p + n;

    r->nfields = 0;
    /* The same cap as for quoted records, so that quoting a field never
     * changes whether a record is accepted. */
    if (n > CS_RECORD_MAX)
        return cs_error_at(err, CS_ELIMIT,
            (cs_pos){ cs_source_name(r->src), line, 0 },
            "record longer than %zu bytes", CS_RECORD_MAX);
    for (;;) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *fe = c ? c : end;
        int rc = room_for_field(r, line, err);
        if (rc < 0)
            return rc;
        if ((size_t)(fe - p) > CS_FIELD_MAX)
            return cs_error_at(err, CS_ELIMIT,
                (cs_pos){ cs_source_name(r->src), line, r->nfields + 1 },
                "field longer than %zu bytes", CS_FIELD_MAX);
        r->fields[r->nfields].ptr = p;
        r->fields[r->nfields].len = (size_t)(fe - p);
        r->nfields++;
        if (!c)
            break;
        p = c + 1;
    }
    return CS_OK;
}

/* A quoted line's fields split where they lie, the line at r->pos: an
 * unquoted first field is copied to the arena, so that fields[0].ptr ==
 * raw.ptr still means a line split in place without quotes (reader.h).
 * 1, or 0 out of memory. */
static int first_apart(cs_reader *r)
{
    if (r->fields[0].ptr == r->buf + r->pos) {
        cs_buf_reset(&r->arena);
        if (cs_buf_append(&r->arena, r->fields[0].ptr, r->fields[0].len) < 0)
            return 0;
        r->fields[0].ptr = r->arena.ptr ? r->arena.ptr : "";
    }
    return 1;
}

/* A line that quotes whole fields, as R's write.csv and most
 * spreadsheets write them ("P01","2024-05-01",45,"yes"): each quoted
 * field a quote, bytes without a quote, and a quote followed by a comma
 * or the line's end; every other field without a quote. Split here, the
 * quoted fields' bytes where they lie between their quotes; what libcsv
 * would give for the line, at a fraction of its cost. Returns 1 with the
 * fields set, 0 for anything else (an escaped quote "", a quoted field
 * that goes on to the next line, a quote elsewhere, a line that could
 * come near a cap): libcsv decides those. An unquoted first field is
 * copied to the arena (first_apart). */
static int split_quoted(cs_reader *r, const char *p, size_t n)
{
    const char *end = p + n;

    if (n > CS_FIELD_MAX)
        return 0;
    r->nfields = 0;
    for (;;) {
        const char *fs, *fe, *next;
        if (p < end && *p == '"') {
            const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (!q || (q + 1 < end && q[1] != ','))
                return 0;
            fs = p + 1;
            fe = q;
            next = q + 1;
        } else {
            const char *c = memchr(p, ',', (size_t)(end - p));
            fs = p;
            fe = next = c ? c : end;
            if (memchr(fs, '"', (size_t)(fe - fs)))
                return 0;
        }
        if (r->nfields == r->fcap) {
            if (r->fcap >= CS_FIELDS_MAX)
                return 0;
            if (grow_fields(r) < 0)
                return 0;
        }
        r->fields[r->nfields].ptr = fs;
        r->fields[r->nfields].len = (size_t)(fe - fs);
        r->nfields++;
        if (next == end)
            break;
        p = next + 1;   /* past the comma */
    }
    return first_apart(r);
}

/* A cap hit inside a libcsv callback: the field that broke it started on
 * r->limit_line and is field number nfields + 1. */
static int csv_limit_failed(cs_reader *r, cs_error *err)
{
    cs_pos pos = { cs_source_name(r->src), r->limit_line, r->nfields + 1 };

    r->in_csv = 0;
    if (r->csv_limit == CS_ENOMEM)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (r->nfields >= CS_FIELDS_MAX)
        return cs_error_at(err, CS_ELIMIT, pos, "more than %d fields",
                           CS_FIELDS_MAX);
    return cs_error_at(err, CS_ELIMIT, pos, "field longer than %zu bytes",
                       CS_FIELD_MAX);
}

static void start_csv_record(cs_reader *r)
{
    r->in_csv = 1;
    r->csv_done = 0;
    r->csv_limit = 0;   /* a record skipped over a cap left it set */
    r->csv_bytes = 0;
    r->nfields = 0;
    r->rec_line = r->field_line = r->limit_line = r->line + 1;
    cs_buf_reset(&r->arena);
    cs_buf_reset(&r->raw);
}

/* The first special byte in [p, end), or end. With SSE2 (every x86-64)
 * sixteen bytes are compared at once unless the reader was told to scan
 * in plain C (simd 0); never reads past end. */
static inline const char *next_special(const char *p, const char *end,
                                       int simd)
{
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');

    while (simd && end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
            _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        int bits = _mm_movemask_epi8(m);
        if (bits)
            return p + __builtin_ctz((unsigned)bits);
        p += 16;
    }
#else
    (void)simd;
#endif
    while (p < end && !special[(unsigned char)*p])
        p++;
    return p;
}

/* ---- a record over a cap, skipped (cs_reader_skip_overlong) ---------- */

static void keep_bytes(cs_reader *r, const char *p, size_t n)
{
    if (n > CS_RAW_KEEP - r->nkeep)
        n = CS_RAW_KEEP - r->nkeep;
    memcpy(r->keep + r->nkeep, p, n);
    r->nkeep += n;
}

/* After cs_reader_skip_overlong, read on to the end of a record that
 * broke a cap (err holds that error) and hand it out as skipped. The
 * record starts at r->pos, or, when in_csv, in r->raw (the lines libcsv
 * was fed; its state is thrown away) with the line at r->pos next; done:
 * libcsv saw the record end.
 * Nothing is kept but the first CS_RAW_KEEP bytes: the buffer does not
 * grow, whatever the length. The end is the first line end outside
 * quotes, found the way RFC 4180 defines quotes (a '"' opens or closes a
 * quoted field; "" inside one is two toggles); a quote still open at the
 * end of the input is CS_EPARSE at the line and field where it opened. */
static int skip_record(cs_reader *r, int in_csv, int done,
                       const cs_record **out, cs_error *err)
{
    unsigned long first = in_csv ? r->rec_line : r->line + 1;
    unsigned long fline = first, col = err->col;
    int record_cap = strncmp(err->msg, "line longer", 11) == 0 ||
                     strncmp(err->msg, "record longer", 13) == 0;
    char msg[200];
    uint64_t len = 0;
    size_t nf = 0;
    int q = 0, mid = 0, rc;

    if (!r->skip_overlong || err->code != CS_ELIMIT)
        return err->code;
    snprintf(msg, sizeof msg, "%.199s", err->msg);
    cs_error_clear(err);
    r->nkeep = 0;
    if (in_csv) {
        const char *p = r->raw.ptr ? r->raw.ptr : "";
        size_t n = r->raw.len;
        unsigned long line = first;

        r->in_csv = 0;
        csv_free(&r->csv);
        memset(&r->csv, 0, sizeof r->csv);
        if (csv_setup(r) < 0)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        keep_bytes(r, p, n);
        if (done) {
            while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
                n--;
            len = n;
            if (r->nkeep > n)
                r->nkeep = n;
            goto found;
        }
        /* The fed lines all end inside a quote (else libcsv would have
         * ended the record): find the field it opened in. */
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '"') {
                q = !q;
            } else if (p[i] == ',' && !q) {
                nf++;
                fline = line;
            } else if (p[i] == '\n' || p[i] == '\r') {
                if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
                    i++;
                line++;
            }
        }
        len = n;
    }
    for (;;) {
        const char *p, *end, *s;

        if (r->pos == r->len) {
            if ((rc = refill(r, err)) < 0)
                return rc;
            if (rc == 0)
                break;
            continue;
        }
        p = r->buf + r->pos;
        end = r->buf + r->len;
        s = next_special(p, end, r->scan != scan_scalar);
        if (s > p) {
            keep_bytes(r, p, (size_t)(s - p));
            len += (uint64_t)(s - p);
            r->pos = (size_t)(s - r->buf);
            mid = 1;
        }
        if (s == end)
            continue;
        if (*s == '\n' || *s == '\r') {
            size_t tl = 1;
            if (*s == '\r' && s + 1 == end && !r->eof) {
                /* CR LF may be split across reads. */
                if ((rc = refill(r, err)) < 0)
                    return rc;
                continue;
            }
            if (*s == '\r' && s + 1 < end && s[1] == '\n')
                tl = 2;
            r->line++;
            r->pos += tl;
            mid = 0;
            if (!q)
                goto found;
            keep_bytes(r, s, tl);
            len += tl;
            continue;
        }
        if (*s == '"')
            q = !q;
        else if (!q) {
            nf++;
            fline = r->line + 1;
        }
        keep_bytes(r, s, 1);
        len++;
        r->pos++;
        mid = 1;
    }
    /* The end of the input. */
    if (q)
        return cs_error_at(err, CS_EPARSE,
            (cs_pos){ cs_source_name(r->src), fline, nf + 1 },
            "unterminated quoted field (the quote opens here and is never "
            "closed)");
    if (mid)
        r->line++;
found:
    if (record_cap)
        snprintf(r->why, sizeof r->why, "record longer than %zu bytes (this "
                 "one has %llu bytes)", CS_RECORD_MAX, (unsigned long long)len);
    else if (col)
        snprintf(r->why, sizeof r->why, "%.200s, in field %lu (the record has "
                 "%llu bytes)", msg, col, (unsigned long long)len);
    else
        snprintf(r->why, sizeof r->why, "%.200s (the record has %llu bytes)",
                 msg, (unsigned long long)len);
    r->nfields = 0;
    r->records++;
    r->rec.fields = r->fields;
    r->rec.nfields = 0;
    r->rec.unsplit = 0;
    r->rec.raw = (cs_str){ r->keep, r->nkeep };
    r->rec.line = first;
    r->rec.end_line = r->line > first ? r->line : first;
    r->rec.index = r->records;
    r->skipped = len;
    r->skipped_now = 1;
    r->skipped_col = record_cap ? 0 : col;
    *out = &r->rec;
    return 1;
}

/* The careful path for a line without quotes (next_plain takes most of
 * them first): one pass over the line at r->pos, splitting at commas
 * and stopping at the line end or a quote; it replaces three memchr scans
 * of the line and one per field (callgrind on 200k rows: 935 -> about 450
 * instructions a row).
 * Returns 1 with the fields set and eol, tl at the terminator; 0 when the
 * line holds a quote (libcsv must decide); 2 when the buffer holds no
 * complete line yet; or a negative cs_code. */
static int scan_plain(cs_reader *r, size_t *eol, size_t *tl, cs_error *err)
{
    const char *start = r->buf + r->pos, *p = start, *end = r->buf + r->len;
    const char *field = start;
    unsigned long line = r->line + 1;
    int rc;

    r->nfields = 0;
    for (;;) {
        char c;

        p = next_special(p, end, r->scan != scan_scalar);
        if (p == end) {
            if (!r->eof)
                return 2;
            *eol = (size_t)(p - r->buf);
            *tl = 0;
            break;
        }
        c = *p;
        if (c == '"')
            return 0;
        if ((size_t)(p - field) > CS_FIELD_MAX)
            return cs_error_at(err, CS_ELIMIT,
                (cs_pos){ cs_source_name(r->src), line, r->nfields + 1 },
                "field longer than %zu bytes", CS_FIELD_MAX);
        if (c == ',') {
            if ((rc = room_for_field(r, line, err)) < 0)
                return rc;
            r->fields[r->nfields].ptr = field;
            r->fields[r->nfields].len = (size_t)(p - field);
            r->nfields++;
            field = ++p;
            continue;
        }
        if (c == '\r') {
            if (p + 1 == end && !r->eof)
                return 2;  /* CR LF may be split across reads */
            *tl = p + 1 < end && p[1] == '\n' ? 2 : 1;
        } else {
            *tl = 1;
        }
        *eol = (size_t)(p - r->buf);
        break;
    }
    if ((size_t)(end - start) > CS_RECORD_MAX && *eol - r->pos > CS_RECORD_MAX)
        return cs_error_at(err, CS_ELIMIT,
            (cs_pos){ cs_source_name(r->src), line, 0 },
            "record longer than %zu bytes", CS_RECORD_MAX);
    if ((size_t)(r->buf + *eol - field) > CS_FIELD_MAX)
        return cs_error_at(err, CS_ELIMIT,
            (cs_pos){ cs_source_name(r->src), line, r->nfields + 1 },
            "field longer than %zu bytes", CS_FIELD_MAX);
    if ((rc = room_for_field(r, line, err)) < 0)
        return rc;
    r->fields[r->nfields].ptr = field;
    r->fields[r->nfields].len = (size_t)(r->buf + *eol - field);
    r->nfields++;
    return 1;
}

static int next_record(cs_reader *r, const cs_record **out, cs_error *err)
{
    r->rec.lf_end = 0;
    r->rec.printable = 0;
    for (;;) {
        size_t eol = 0, tl = 0;
        int quote, rc;

        if (!r->in_csv && r->bom_checked) {
            if (r->pos == r->len && r->eof)
                return 0;
            rc = r->pos == r->len ? 2 : scan_plain(r, &eol, &tl, err);
            if (rc == CS_ELIMIT)
                return skip_record(r, 0, 0, out, err);
            if (rc < 0)
                return rc;
            if (rc == 2) {
                if ((rc = refill(r, err)) == CS_ELIMIT)
                    return skip_record(r, 0, 0, out, err);
                if (rc < 0)
                    return rc;
                continue;
            }
            if (rc == 1) {
                const char *p = r->buf + r->pos;
                size_t n = eol - r->pos;
                r->line++;
                r->pos = eol + tl;
                if (n == 0 && !r->opts.keep_empty_lines)
                    continue;
                r->rec.raw = (cs_str){ p, n };
                r->rec.line = r->rec.end_line = r->line;
                goto done;
            }
            /* A quote: the line goes to libcsv below. */
        }
        eol = find_eol(r, r->pos, &quote);
        if (eol == r->len && !r->eof) {
            rc = refill(r, err);
            if (rc == CS_ELIMIT)
                return skip_record(r, r->in_csv, 0, out, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (r->pos == r->len) {
            /* End of input. */
            if (!r->in_csv)
                return 0;
            r->in_csv = 0;
            if (csv_fini(&r->csv, on_field, on_record, r) != 0) {
                /* The open field is the one after the last delimiter, and
                 * with CSV_STRICT its quote is its first byte. */
                cs_pos pos = { cs_source_name(r->src), r->field_line,
                               r->nfields + 1 };
                return cs_error_at(err, CS_EPARSE, pos,
                    "unterminated quoted field (the quote opens here and "
                    "is never closed)");
            }
            if (r->csv_limit == CS_ELIMIT && r->skip_overlong) {
                r->in_csv = 1;
                csv_limit_failed(r, err);
                return skip_record(r, 1, 1, out, err);
            }
            if (r->csv_limit)
                return csv_limit_failed(r, err);
            goto csv_record;
        }
        tl = eol_len(r, eol);
        if (!r->in_csv && !quote) {
            const char *p = r->buf + r->pos;
            size_t n = eol - r->pos;
            if (n == 0 && !r->opts.keep_empty_lines) {
                r->line++;
                r->pos = eol + tl;
                continue;
            }
            if (split_plain(r, p, n, r->line + 1, err) < 0)
                return err->code == CS_ELIMIT
                    ? skip_record(r, 0, 0, out, err) : err->code;
            r->line++;
            r->pos = eol + tl;
            r->rec.raw = (cs_str){ p, n };
            r->rec.line = r->rec.end_line = r->line;
            goto done;
        }
        if (!r->in_csv && split_quoted(r, r->buf + r->pos, eol - r->pos)) {
            const char *p = r->buf + r->pos;
            r->line++;
            r->rec.raw = (cs_str){ p, eol - r->pos };
            r->rec.line = r->rec.end_line = r->line;
            r->pos = eol + tl;
            goto done;
        }
        /* Quoted content: libcsv decides, one line at a time. */
        if (!r->in_csv)
            start_csv_record(r);
        r->feed_line = r->line + 1;
        /* Check the record cap before copying: the raw buffer and the arena
         * are capped too, and a failed append must not surface as a parse
         * error. The record's final line end does not count, as in
         * split_plain. */
        if (r->csv_bytes + (eol - r->pos) > CS_RECORD_MAX) {
            cs_error_at(err, CS_ELIMIT,
                (cs_pos){ cs_source_name(r->src), r->rec_line, 0 },
                "record longer than %zu bytes", CS_RECORD_MAX);
            if (r->skip_overlong)
                return skip_record(r, 1, 0, out, err);
            r->in_csv = 0;
            return err->code;
        }
        r->csv_bytes += eol + tl - r->pos;
        if (cs_buf_append(&r->raw, r->buf + r->pos, eol + tl - r->pos) < 0) {
            r->in_csv = 0;
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        if (csv_parse(&r->csv, r->buf + r->pos, eol + tl - r->pos, on_field,
                      on_record, r) != eol + tl - r->pos) {
            r->in_csv = 0;
            if (csv_error(&r->csv) == CSV_ENOMEM)
                return cs_error_set(err, CS_ENOMEM, "out of memory");
            return cs_error_at(err, CS_EPARSE,
                (cs_pos){ cs_source_name(r->src), r->feed_line,
                          r->nfields + 1 },
                "malformed quoted field (a quote must open the field and be "
                "followed by a comma or the line end; write \"\" for a quote "
                "inside)");
        }
        if (tl || r->eof)
            r->line++;
        r->pos = eol + tl;
        if (r->csv_limit == CS_ELIMIT && r->skip_overlong) {
            csv_limit_failed(r, err);
            return skip_record(r, 1, r->csv_done, out, err);
        }
        if (r->csv_limit)
            return csv_limit_failed(r, err);
        if (!r->csv_done)
            continue;
        r->in_csv = 0;
    csv_record:
        finish_fields(r);
        while (r->raw.len && (r->raw.ptr[r->raw.len - 1] == '\n' ||
                              r->raw.ptr[r->raw.len - 1] == '\r'))
            r->raw.len--;
        r->rec.raw = (cs_str){ r->raw.ptr ? r->raw.ptr : "", r->raw.len };
        r->rec.line = r->rec_line;
        r->rec.end_line = r->line;
    done:
        r->records++;
        r->rec.fields = r->fields;
        r->rec.nfields = r->nfields;
        r->rec.unsplit = 0;
        r->rec.index = r->records;
        *out = &r->rec;
        return 1;
    }
}

static inline unsigned ctz64(uint64_t x)
{
#ifdef __GNUC__
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    for (; !(x & 1); x >>= 1)
        n++;
    return n;
#endif
}

/* The fields that end at the commas of mask (bit i: p[i]), the first one
 * starting at *field, stored from f on; returns the next free slot. The
 * field's start is kept as an offset from p (negative for one that began
 * in an earlier block), so that a field costs a bit scan, two stores and
 * a little arithmetic on one register. */
static inline cs_str *put_fields(cs_str *f, const char *p, uint64_t mask,
                                 const char **field)
{
    ptrdiff_t s = *field - p;

    while (mask) {
        ptrdiff_t q = (ptrdiff_t)ctz64(mask);
        f->ptr = p + s;
        f->len = (size_t)(q - s);
        f++;
        s = q + 1;
        mask &= mask - 1;
    }
    *field = p + s;
    return f;
}

#ifdef CS_SCAN_AVX512
/* put_fields with AVX-512, eight fields a step: the commas' places in
 * the block, packed into bytes by VBMI2's compress, widen eight at a time
 * to pointers, all in registers (a store and reload of the places cost
 * more than the scalar loop on rows of a dozen fields). Each field starts
 * one past the comma before it (the first at *field) and its length is
 * its comma less its start; two permutes lay the starts and lengths out
 * as eight cs_str. The last step of a block may
 * write up to seven slots past the fields it has, which the next block
 * or the line's last field writes over: next_plain keeps 64 slots free
 * before each block, and a block has at most 64 commas. */
_Static_assert(sizeof(cs_str) == 16 && offsetof(cs_str, ptr) == 0 &&
               offsetof(cs_str, len) == 8, "cs_str as two 64-bit words");

__attribute__((target(AVX512_TARGET)))
static inline cs_str *put_fields_wide(cs_str *f, const char *p, uint64_t mask,
                                      const char **field)
{
    static const unsigned char iota[64] = {
         0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
    };
    const __m512i lo = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i hi = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    const __m512i one = _mm512_set1_epi64(1);
    unsigned n;
    __m512i pos, base, start;

    if (!mask)
        return f;
    n = (unsigned)_mm_popcnt_u64(mask);
    pos = _mm512_maskz_compress_epi8(mask,
                                     _mm512_loadu_si512((const void *)iota));
    base = _mm512_set1_epi64((long long)(uintptr_t)p);
    start = _mm512_set1_epi64((long long)(uintptr_t)*field);
    for (unsigned g = 0; g < n; g += 8) {
        __m512i q = _mm512_add_epi64(base, _mm512_cvtepu8_epi64(
            _mm512_castsi512_si128(pos)));
        __m512i next = _mm512_add_epi64(q, one);
        /* start's last lane, then next's first seven */
        __m512i st = _mm512_alignr_epi64(next, start, 7);
        __m512i len = _mm512_sub_epi64(q, st);
        _mm512_storeu_si512((void *)(f + g), _mm512_permutex2var_epi64(st, lo, len));
        _mm512_storeu_si512((void *)(f + g + 4), _mm512_permutex2var_epi64(st, hi, len));
        start = next;
        pos = _mm512_alignr_epi64(_mm512_setzero_si512(), pos, 1);
    }
    *field = p + 64 - __builtin_clzll(mask);   /* one past the last comma */
    return f + n;
}
#endif

/* Room for 64 more fields after the first nf, or 0. Growing early only
 * moves when memory is taken: CS_FIELDS_MAX caps fcap however it grew,
 * and after a failure next_record grows, or fails, at the field where it
 * always did. */
static int fields_room(cs_reader *r, size_t nf)
{
    while (r->fcap - nf < 64)
        if (grow_fields(r) < 0)
            return 0;
    return 1;
}

/* The common case, ahead of next_record: a line without a quote that ends
 * inside the buffer. It walks the structural index 64 bytes at a time:
 * the commas before the first other special byte are field ends, taken
 * with ctz (about a dozen instructions a field), where scan_plain
 * restarts a scan after every comma. The line's bits in the third word
 * say whether it is all printable ASCII (cs_record.printable), so that
 * the validators need not look at its text fields byte by byte. The
 * index is built ahead of the walk (index_at) by the widest vector scan
 * the CPU has, so the walk itself is plain C and the same for every scan.
 *
 * It only takes what it can prove is plain and inside every cap: the line
 * ends within CS_FIELD_MAX bytes (so no field, and no record, can be over
 * its cap), and 64 field slots are free before each block (so the fields
 * cap cannot be hit). Anything else (a quote, a line without its end in
 * the buffer, a CR that may be half of a CR LF, a long or wide line, an
 * open libcsv record, the BOM not yet decided) returns 0 having changed
 * nothing but the field slots' contents and capacity, and next_record
 * reads the line as it always did, with its errors at the same line and
 * column. */
/* What next_plain's proof leans on: a line within the field cap is
 * within the record cap, and fcap (at first the lesser of 64 and
 * CS_FIELDS_MAX) has 64 slots. */
_Static_assert(CS_FIELD_MAX <= CS_RECORD_MAX, "field cap over record cap");
_Static_assert(CS_FIELDS_MAX >= 64, "fields cap under 64");

/* Hands out the record whose fields are set: one line of text at raw,
 * len bytes without its line end, which r->line already counts. */
__attribute__((always_inline))
static inline int line_out(cs_reader *r, const cs_record **out,
                           const char *raw, size_t len)
{
    r->rec.raw = (cs_str){ raw, len };
    r->rec.line = r->rec.end_line = r->line;
    r->records++;
    r->rec.fields = r->fields;
    r->rec.nfields = r->nfields;
    r->rec.unsplit = 0;
    r->rec.index = r->records;
    *out = &r->rec;
    return 1;
}

typedef cs_str *put_fn(cs_str *f, const char *p, uint64_t mask,
                       const char **field);

/* The set bits of x, without the popcnt instruction (or a libgcc call)
 * on CPUs that may lack it. */
static inline unsigned bits64(uint64_t x)
{
    x -= x >> 1 & UINT64_C(0x5555555555555555);
    x = (x & UINT64_C(0x3333333333333333)) + (x >> 2 & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* The set bits of x: with hw (a constant) by the popcnt instruction,
 * in a function compiled for it. */
__attribute__((always_inline))
static inline unsigned count64(uint64_t x, const int hw)
{
    return hw ? (unsigned)__builtin_popcountll(x) : bits64(x);
}

/* put for a reader that splits only the fields before stop
 * (cs_reader_split_head): the fields that end at the commas of mask are
 * stored up to stop, and the commas past it only counted into *more. */
__attribute__((always_inline))
static inline cs_str *put_head(cs_str *f, cs_str *stop, size_t *more,
                               put_fn *put, const char *p, uint64_t mask,
                               const char **field, const int hw)
{
    size_t room;
    unsigned n;

    if (f >= stop || *more) {      /* once one is counted, all are */
        *more += count64(mask, hw);
        return f;
    }
    room = (size_t)(stop - f);
    if ((n = count64(mask, hw)) > room) {
        uint64_t past = mask;
        for (size_t i = 0; i < room; i++)
            past &= past - 1;           /* the commas past the first room */
        *more += n - room;
        mask &= ~past;
    }
    return put(f, p, mask, field);
}

/* The slot next_plain stops splitting at with head: the reader's head,
 * or the end of the slots while they are fewer. */
static inline cs_str *head_stop(cs_reader *r, int head)
{
    return r->fields + (!head ? 0 : r->head < r->fcap ? r->head : r->fcap);
}

/* With head (a constant), the reader's head: only the fields before
 * r->head are split, the commas after them counted (put_head), with hw
 * by popcnt. */
__attribute__((always_inline))
static inline int next_plain(cs_reader *r, const cs_record **out, put_fn *put,
                             const int head, const int hw)
{
    if (r->in_csv || !r->bom_checked)
        return 0;
    while (r->pos < r->len) {
        const char *start = r->buf + r->pos, *field = start, *p;
        size_t blk = r->pos / 64, last, eol, tl;
        const uint64_t *ix;
        uint64_t from = ~(uint64_t)0 << (r->pos % 64), cm, om, xm;
        uint64_t odd = 0, below;  /* unprintable bytes of the line's blocks */
        cs_str *f = r->fields, *froom = r->fields + r->fcap - 64;
        cs_str *stop = head_stop(r, head);
        size_t more = 0;    /* fields past stop, not split (head) */

        /* Each line, an empty one passed over included, may start past
         * what the index holds. */
        if (!indexed(r, r->pos) && !index_at(r, r->pos))
            return 0;
        ix = r->idx + 3 * blk;
        cm = ix[0] & from;
        om = ix[1] & from;
        xm = ix[2] & from;

        /* The last block the line may end in: the buffer's, or the one
         * CS_FIELD_MAX bytes on. */
        last = (r->len - 1) / 64;
        if (last > (r->pos + CS_FIELD_MAX) / 64)
            last = (r->pos + CS_FIELD_MAX) / 64;
        while (!om) {
            f = head ? put_head(f, stop, &more, put, r->buf + 64 * blk, cm,
                                &field, hw)
                     : put(f, r->buf + 64 * blk, cm, &field);
            if (++blk > last)
                return 0;
            if (f > froom) {
                size_t nf = (size_t)(f - r->fields);
                if (!fields_room(r, nf))
                    return 0;
                f = r->fields + nf;
                froom = r->fields + r->fcap - 64;
                stop = head_stop(r, head);   /* the slots may have moved */
            }
            if (64 * blk < r->ix_end) {
                ix += 3;
            } else {
                if (!index_at(r, 64 * blk))
                    return 0;
                ix = r->idx + 3 * blk;
            }
            odd |= xm;
            cm = ix[0];
            om = ix[1];
            xm = ix[2];
        }
        /* The commas before the first other special byte: what follows a
         * quote is libcsv's, what follows a line end is the next line. */
        below = (om & -om) - 1;
        f = head ? put_head(f, stop, &more, put, r->buf + 64 * blk,
                            cm & below, &field, hw)
                 : put(f, r->buf + 64 * blk, cm & below, &field);
        eol = 64 * blk + ctz64(om);
        p = r->buf + eol;
        if (eol - r->pos > CS_FIELD_MAX || *p == '"')
            return 0;
        if (head && more) {
            /* Fewer fields split than the head (the slots were fewer
             * when the line began): next_record splits the line, growing
             * them, or refuses it, as it would. */
            if ((size_t)(f - r->fields) != r->head)
                return 0;
            /* More fields than the slots hold: grown here, as a line
             * split whole grows them (fields_room), so that the line is
             * split in place with its flags set either way; past
             * CS_FIELDS_MAX next_record refuses it, as it would. */
            while (r->head + more + 1 > r->fcap)
                if (grow_fields(r) < 0)
                    return 0;
            f = r->fields + r->head;
        }
        if (*p == '\r') {
            if (eol + 1 == r->len)
                return 0;  /* maybe CR LF split across reads */
            tl = p[1] == '\n' ? 2 : 1;
        } else {
            tl = 1;
        }
        r->line++;
        r->pos = eol + tl;
        if (p == start && !r->opts.keep_empty_lines)
            continue;
        r->rec.lf_end = *p == '\n';   /* else a CR, alone or before LF */
        r->rec.printable = !(odd | (xm & below));
        if (head && more) {
            /* The last field is past stop too. */
            r->nfields = (size_t)(f - r->fields) + more + 1;
            line_out(r, out, start, (size_t)(p - start));
            r->rec.unsplit = more + 1;
            return 1;
        }
        f->ptr = field;
        f->len = (size_t)(p - field);
        r->nfields = (size_t)(f - r->fields) + 1;
        return line_out(r, out, start, (size_t)(p - start));
    }
    return 0;
}

/* Bit i set when bits 0 to i of x hold an odd number of ones: over a
 * block's quotes, the bytes from an opening quote up to its closing one
 * (the opening quote itself included, the closing one not). */
static inline uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The quotes among the 64 bytes at p (bit i: p[i]), of which n are in
 * the buffer: SSE2 compares 16 at a time where the block is whole. */
static inline uint64_t quote_bits(const char *p, size_t n)
{
    uint64_t m = 0;

#ifdef __SSE2__
    if (n >= 64) {
        const __m128i q = _mm_set1_epi8('"');
        for (unsigned i = 0; i < 4; i++) {
            const __m128i b =
                _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
            m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, q))
                 << (16 * i);
        }
        return m;
    }
#endif
    for (size_t i = 0; i < n && i < 64; i++)
        m |= (uint64_t)(p[i] == '"') << i;
    return m;
}

#define QUOTED_BLOCKS 16   /* the longest line next_quoted takes: 1 KiB */

/* split_quoted's lines, split from the structural index where next_plain
 * stopped at a quote, as R's write.csv writes every text field: the
 * quotes are told from the line ends among the index's second word, the
 * bytes inside quotes found by a running parity of the quotes, and the
 * commas outside them are the field ends, taken as next_plain takes
 * them. The same lines are taken, with the same fields: each field is
 * either a quote, bytes without a quote, and a quote followed by a comma
 * or the line end; or bytes without a quote. The line, of at most
 * QUOTED_BLOCKS blocks, ends in the buffer and holds a quote. An
 * unquoted first field is copied to the arena (first_apart).
 * Anything else (an escaped quote "", a quoted field going on past the
 * line end, a quote inside a field) returns 0 having changed nothing but
 * the field slots and the arena, and next_record reads the line, with
 * libcsv's errors. */
static int next_quoted(cs_reader *r, const cs_record **out)
{
    size_t pos = r->pos, blk = pos / 64, nb = 0, eol = 0, tl, k;
    uint64_t qm[QUOTED_BLOCKS], any = 0;
    uint64_t inside = 0, start = (uint64_t)1 << (pos % 64), after = 0;
    const char *field = r->buf + pos;
    cs_str *f = r->fields;
    int found = 0;

    if (r->in_csv || !r->bom_checked || pos >= r->len ||
        (!indexed(r, pos) && !index_at(r, pos)))
        return 0;
    /* The line end: the first LF or CR; every bit of the second word
     * before it is a quote. */
    while (!found) {
        size_t b = blk + nb;
        uint64_t om, q;

        if (nb == QUOTED_BLOCKS || 64 * b >= r->len ||
            (!indexed(r, 64 * b) && !index_at(r, 64 * b)))
            return 0;
        om = r->idx[3 * b + 1] &
             (nb ? ~(uint64_t)0 : ~(uint64_t)0 << (pos % 64));
        q = om & quote_bits(r->buf + 64 * b, r->len - 64 * b);
        if (om != q) {
            eol = 64 * b + ctz64(om & ~q);
            q &= (om & ~q & -(om & ~q)) - 1;   /* the quotes before it */
            found = 1;
        }
        qm[nb++] = q;
        any |= q;
    }
    if (!any || eol == pos || eol >= r->len)
        return 0;   /* no quote: next_plain's or next_record's; empty */
    if (r->buf[eol] == '\r' && eol + 1 == r->len)
        return 0;   /* maybe CR LF split across reads */
    tl = eol_len(r, eol);
    for (k = 0; k < nb; k++) {
        const uint64_t *ix = r->idx + 3 * (blk + k);
        uint64_t in = prefix_xor(qm[k]) ^ inside;
        uint64_t line = ~(uint64_t)0, end = 0, sep, open, close;

        if (k == 0)
            line <<= pos % 64;
        if (k == nb - 1) {
            end = (uint64_t)1 << (eol % 64);
            line &= (end << 1) - 1;   /* up to the line end, it included */
        }
        sep = (ix[0] & line & ~in) | end;
        open = qm[k] & in;
        close = qm[k] & ~in;
        /* A quote opens a field only at its start, and closes it only
         * just before a field end. */
        if ((open & ~(sep << 1 | start)) || (close << 1 & ~sep) ||
            (after && !(sep & 1)))
            return 0;
        start = sep >> 63;
        after = close >> 63;
        inside = 0 - (in >> 63);
        if (end) {
            if (in & end)
                return 0;   /* a quote still open at the line end */
            sep &= ~end;
        }
        if (r->fcap - (size_t)(f - r->fields) < 64) {
            size_t nf = (size_t)(f - r->fields);
            if (!fields_room(r, nf))
                return 0;
            f = r->fields + nf;
        }
        f = put_fields(f, r->buf + 64 * (blk + k), sep, &field);
    }
    f->ptr = field;
    f->len = (size_t)(r->buf + eol - field);
    r->nfields = (size_t)(f - r->fields) + 1;
    /* The quoted fields without their quotes. */
    for (cs_str *g = r->fields; g <= f; g++) {
        /* (an empty unquoted field's byte is its comma or the line end) */
        size_t q = g->ptr[0] == '"';
        g->ptr += q;
        g->len -= 2 * q;
    }
    if (!first_apart(r))
        return 0;
    r->line++;
    r->pos = eol + tl;
    /* Not split in place: the flags stay 0, as next_record leaves them
     * for such a line (cs_record.printable promises a split in place). */
    r->rec.lf_end = 0;
    r->rec.printable = 0;
    return line_out(r, out, r->buf + pos, eol - pos);
}

static int next_slow(cs_reader *r, const cs_record **out, cs_error *err);

/* next_plain with each way of splitting, the wide one compiled for the
 * instruction set it uses, and next_slow after it, called from here so
 * that cs_reader_next, which only chooses, saves no registers. */
static int next_plain_narrow(cs_reader *r, const cs_record **out,
                             cs_error *err)
{
    if (next_plain(r, out, put_fields, 0, 0) || next_quoted(r, out))
        return 1;
    return next_slow(r, out, err);
}

/* next_plain_narrow for a reader with a head (cs_reader_split_head). */
static int next_head_narrow(cs_reader *r, const cs_record **out,
                            cs_error *err)
{
    if (next_plain(r, out, put_fields, 1, 0) || next_quoted(r, out))
        return 1;
    return next_slow(r, out, err);
}

#ifdef CS_SCAN_AVX2
/* ... counting the commas past the head by popcnt (r->popcnt). */
__attribute__((target("popcnt")))
static int next_head_popcnt(cs_reader *r, const cs_record **out,
                            cs_error *err)
{
    if (next_plain(r, out, put_fields, 1, 1) || next_quoted(r, out))
        return 1;
    return next_slow(r, out, err);
}
#endif

#ifdef CS_SCAN_AVX512
/* Bits sh to sh + 63 of the index words a, b (one block's and the next
 * one's), as one word; sh may be 0. */
static inline uint64_t window(uint64_t a, uint64_t b, unsigned sh)
{
    return a >> sh | (b << 1) << (63 - sh);
}

/* next_plain for a line of under 128 bytes and at most 16 fields with
 * its three blocks' index at hand: the line's 128 bits of each mask are
 * read at once, its field ends (the commas before the line end, and the
 * line end) packed into bytes by two compresses, the second half's put
 * after the first's by an expand, and its fields laid out as two groups
 * of eight cs_str, with no branch on where the blocks' edges fall or how
 * many fields lie before one (which changes from line to line). Anything
 * else, an empty line included, returns 0 having changed nothing but
 * the field slots' contents; next_plain reads it. */
__attribute__((target(AVX512_TARGET)))
static inline int next_short_wide(cs_reader *r, const cs_record **out)
{
    static const unsigned char iota[128] = {
         0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
        64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
        80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
        96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
        110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122,
        123, 124, 125, 126, 127
    };
    const __m512i lo = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i hi = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    const __m512i one = _mm512_set1_epi64(1);
    size_t pos = r->pos, blk = pos / 64, tl;
    unsigned sh = (unsigned)(pos % 64), e, n0, n;
    const uint64_t *ix;
    uint64_t o0, o1, c0, c1, x0, x1, end0, end1, odd;
    const char *start = r->buf + pos, *p;
    cs_str *f = r->fields;
    __m512i pos8, base, q0, q1, n0v, n1v, st0, st1, len0, len1;

    if (r->in_csv || !r->bom_checked || r->fcap < 16 ||
        pos < r->ix_from || 64 * (blk + 3) > r->ix_end)
        return 0;
    ix = r->idx + 3 * blk;
    o0 = window(ix[1], ix[4], sh);
    /* The field ends: the commas before the line's end, and its end. A
     * longer line (the chain's joined and tagged rows) is passed on
     * having read only its quote and line-end words. */
    if (o0) {
        e = ctz64(o0);
        c0 = window(ix[0], ix[3], sh);
        x0 = window(ix[2], ix[5], sh);
        end0 = (c0 & ((o0 & -o0) - 1)) | (o0 & -o0);
        end1 = 0;
        odd = x0 & ((o0 & -o0) - 1);
    } else if ((o1 = window(ix[4], ix[7], sh)) != 0) {
        e = 64 + ctz64(o1);
        c1 = window(ix[3], ix[6], sh);
        x1 = window(ix[5], ix[8], sh);
        end0 = window(ix[0], ix[3], sh);
        end1 = (c1 & ((o1 & -o1) - 1)) | (o1 & -o1);
        odd = window(ix[2], ix[5], sh) | (x1 & ((o1 & -o1) - 1));
    } else {
        return 0;
    }
    p = start + e;
    n0 = (unsigned)_mm_popcnt_u64(end0);
    n = n0 + (unsigned)_mm_popcnt_u64(end1);
    if (e == 0 || *p == '"' || n > 16)
        return 0;
    if (*p == '\r') {
        if ((size_t)(p - r->buf) + 1 == r->len)
            return 0;  /* maybe CR LF split across reads */
        tl = p[1] == '\n' ? 2 : 1;
    } else {
        tl = 1;
    }

    /* The ends' offsets in the line, one a byte: the first half's, then
     * the second's from byte n0 on. */
    pos8 = _mm512_mask_expand_epi8(
        _mm512_maskz_compress_epi8(end0,
                                   _mm512_loadu_si512((const void *)iota)),
        ~(uint64_t)0 << n0,
        _mm512_maskz_compress_epi8(end1,
                                   _mm512_loadu_si512((const void *)(iota + 64))));
    base = _mm512_set1_epi64((long long)(uintptr_t)start);
    q0 = _mm512_add_epi64(base, _mm512_cvtepu8_epi64(_mm512_castsi512_si128(pos8)));
    q1 = _mm512_add_epi64(base, _mm512_cvtepu8_epi64(
        _mm512_castsi512_si128(_mm512_alignr_epi64(pos8, pos8, 1))));
    n0v = _mm512_add_epi64(q0, one);
    n1v = _mm512_add_epi64(q1, one);
    /* Each field starts one past the end before it, the first at the
     * line's start. */
    st0 = _mm512_alignr_epi64(n0v, base, 7);
    st1 = _mm512_alignr_epi64(n1v, n0v, 7);
    len0 = _mm512_sub_epi64(q0, st0);
    len1 = _mm512_sub_epi64(q1, st1);
    _mm512_storeu_si512((void *)f, _mm512_permutex2var_epi64(st0, lo, len0));
    _mm512_storeu_si512((void *)(f + 4), _mm512_permutex2var_epi64(st0, hi, len0));
    if (n > 8) {
        _mm512_storeu_si512((void *)(f + 8),
                            _mm512_permutex2var_epi64(st1, lo, len1));
        _mm512_storeu_si512((void *)(f + 12),
                            _mm512_permutex2var_epi64(st1, hi, len1));
    }
    r->line++;
    r->pos = pos + e + tl;
    r->rec.lf_end = *p == '\n';   /* else a CR, alone or before LF */
    r->rec.printable = !odd;
    r->nfields = n;
    return line_out(r, out, start, e);
}

__attribute__((target(AVX512_TARGET)))
static int next_plain_wide(cs_reader *r, const cs_record **out,
                           cs_error *err)
{
    if (next_short_wide(r, out) || next_plain(r, out, put_fields_wide, 0, 0) ||
        next_quoted(r, out))
        return 1;
    return next_slow(r, out, err);
}

__attribute__((target(AVX512_TARGET)))
static int next_head_wide(cs_reader *r, const cs_record **out,
                          cs_error *err)
{
    if (next_plain(r, out, put_fields_wide, 1, 1) || next_quoted(r, out))
        return 1;
    return next_slow(r, out, err);
}
#endif

/* The next line when the thread reading ahead checked it already
 * (cs_reader_mark_ahead): the reader stands where it starts, outside any
 * record. The line ends in a lone "\n", within the buffer; the checker
 * had it split in place and accepted it. Its fields are not split again:
 * the record comes with checked set and its mark. Else 0, and when the
 * reader has gone past the marked lines (they began inside a record),
 * they are dropped. */
static int next_marked(cs_reader *r, const cs_record **out)
{
    const char *at = r->buf + r->pos;
    uint64_t m;

    if (at != r->mk_at || r->in_csv || !r->bom_checked) {
        if (at > r->mk_at)
            r->mk_n = 0;
        return 0;
    }
    for (;;) {
        m = r->mk[r->mk_i++];
        r->mk_at = at + MARK_LEN(m) + 1;
        if (MARK_LEN(m) == 0 && !r->opts.keep_empty_lines) {
            /* An empty line, passed over as next_plain does. */
            r->line++;
            r->pos++;
            at++;
            if (r->mk_i == r->mk_n)
                return 0;
            continue;
        }
        if (!(m & MARK_CHECKED))
            return 0;   /* read the ordinary way, to the next mark */
        break;
    }
    /* mk_at, set above, is already past the line and its "\n". */
    r->pos += MARK_LEN(m) + 1;
    r->line++;
    r->records++;
    r->rec.fields = r->fields;
    r->rec.nfields = 0;
    r->rec.unsplit = 0;
    r->rec.raw = (cs_str){ at, MARK_LEN(m) };
    r->rec.line = r->rec.end_line = r->line;
    r->rec.index = r->records;
    r->rec.lf_end = 1;
    r->rec.printable = (m & MARK_PRINTABLE) != 0;
    r->rec.checked = 1;
    r->rec.mark = (uint32_t)m;
    *out = &r->rec;
    return 1;
}

void cs_reader_unmark(cs_reader *r)
{
    if (!r->rec.checked)
        return;
    r->pos -= r->rec.raw.len + 1;   /* a checked record's raw is its line */
    r->line--;
    r->records--;
    r->mk_n = 0;
    r->rec.checked = 0;
}

/* next_record, whose errors stay (cs_reader_next). */
static __attribute__((noinline)) int next_slow(cs_reader *r,
                                               const cs_record **out,
                                               cs_error *err)
{
    int rc = next_record(r, out, err);

    if (rc < 0) {
        if (err && err->code == rc)
            r->failed = *err;
        else
            cs_error_set(&r->failed, rc, "earlier error");
        r->other = 1;
    }
    return rc;
}

/* The next line by the split the CPU has (next_plain_*, which go on to
 * next_record themselves). */
static inline int next_split(cs_reader *r, const cs_record **out,
                             cs_error *err)
{
    if (r->head) {
#ifdef CS_SCAN_AVX512
        if (r->wide)
            return next_head_wide(r, out, err);
#endif
#ifdef CS_SCAN_AVX2
        if (r->popcnt)
            return next_head_popcnt(r, out, err);
#endif
        return next_head_narrow(r, out, err);
    }
#ifdef CS_SCAN_AVX512
    return r->wide ? next_plain_wide(r, out, err)
                   : next_plain_narrow(r, out, err);
#else
    return next_plain_narrow(r, out, err);
#endif
}

/* The lines at r->pos that keep refuses by their first field, passed
 * over (cs_reader_pass_lines). The walk is next_plain's, with its proof
 * that a line lies whole in the buffer with no quote, and a tighter
 * bound: under CS_FIELDS_MAX bytes a line has fewer commas than the
 * fields cap, so next_record would neither skip nor refuse it, and its
 * first field is the one other_shard would read. Any line it cannot
 * prove so is left for the split. */
static void pass_lines(cs_reader *r)
{
    if (r->in_csv || !r->bom_checked)
        return;
    while (r->pos < r->len) {
        size_t blk = r->pos / 64, last, eol;
        const uint64_t *ix;
        uint64_t cm, om;
        const char *p;

        if (!indexed(r, r->pos) && !index_at(r, r->pos))
            return;
        ix = r->idx + 3 * blk;
        cm = ix[0] & ~(uint64_t)0 << (r->pos % 64);
        om = ix[1] & ~(uint64_t)0 << (r->pos % 64);
        if (!(cm | om) && 64 * (blk + 1) < r->len) {
            /* The first field goes on into the next block (a line that
             * starts near a block's end). */
            blk++;
            if (64 * blk >= r->ix_end && !index_at(r, 64 * blk))
                return;
            cm = r->idx[3 * blk];
            om = r->idx[3 * blk + 1];
        }
        /* The first field ends at a comma of this block, and no quote or
         * line end comes before it. */
        if (!cm || (om & ((cm & -cm) - 1)))
            return;
        if (r->pass(r->pass_ctx, (cs_str){ r->buf + r->pos,
                                           64 * blk + ctz64(cm) - r->pos }))
            return;
        last = (r->len - 1) / 64;
        if (last > (r->pos + CS_FIELDS_MAX - 1) / 64)
            last = (r->pos + CS_FIELDS_MAX - 1) / 64;
        while (!om) {
            if (++blk > last)
                return;
            if (64 * blk >= r->ix_end && !index_at(r, 64 * blk))
                return;
            om = r->idx[3 * blk + 1];
        }
        eol = 64 * blk + ctz64(om);
        p = r->buf + eol;
        /* (a CR at the buffer's end may be half of a CR LF) */
        if (eol - r->pos >= CS_FIELDS_MAX || *p == '"' ||
            (*p == '\r' && eol + 1 == r->len))
            return;
        r->line++;
        r->records++;
        r->passed++;
        r->pos = eol + 1 + (*p == '\r' && p[1] == '\n');   /* CR LF */
    }
}

/* cs_reader_next past an error or with marks to use. */
static __attribute__((noinline)) int next_other(cs_reader *r,
                                                const cs_record **out,
                                                cs_error *err)
{
    /* Errors are sticky: after one, libcsv and the line count are in no
     * known state, and a second call must not look like a clean end. */
    if (r->failed.code != CS_OK) {
        if (err && err->code == CS_OK)
            *err = r->failed;
        return r->failed.code;
    }
    r->skipped_now = 0;
    /* Marks are read only while there are some: with the pass-over on,
     * every call comes here, also after the last mark. */
    if (r->mk_i < r->mk_n && next_marked(r, out))
        return 1;
    r->rec.checked = 0;
    if (r->pass && r->mk_i >= r->mk_n)
        pass_lines(r);
    return next_split(r, out, err);
}

int cs_reader_next(cs_reader *r, const cs_record **out, cs_error *err)
{
    if (r->other || r->mk_i < r->mk_n)
        return next_other(r, out, err);
    r->skipped_now = 0;
    r->rec.checked = 0;
    return next_split(r, out, err);
}

/* The lines of p[0, n) from the first line start (after the first "\n"),
 * one after another, until about limit bytes are covered. A line that
 * next_plain would split in place (no quote, no CR, ended by "\n"), of
 * at most MARK_LINE bytes and MARK_FIELDS fields, is split here and
 * shown to the checker; its mark is its length from bit 32 and, when the
 * checker accepts it, MARK_CHECKED, the checker's word, and
 * MARK_PRINTABLE when the line is printable ASCII. Any other line
 * without a quote gets a mark with its length alone, to be read the
 * ordinary way (a CR in it may end a line for the reader, but the next
 * mark still starts after its "\n"). The first line with a quote, or
 * without its "\n" in p, ends the marks: past a quote, lines may lie
 * inside a quoted field. (The reader would only drop such marks, as it
 * never stands at their start outside a record; marking them is wasted
 * work.) */
__attribute__((always_inline))
static inline size_t mark_lines(cs_marker *m, const char *p, size_t n,
                                size_t limit, uint64_t *marks, size_t cap,
                                size_t *start, put_fn *put)
{
    const char *nl = memchr(p, '\n', n);
    size_t pos, from, to, k = 0;

    *start = 0;
    if (!nl)
        return 0;
    pos = *start = (size_t)(nl - p) + 1;
    to = pos + limit + MARK_LINE;
    if (to > n)
        to = n;
    if (pos >= to)
        return 0;
    from = pos & ~(size_t)63;
    m->scan(m->idx + from / 64 * 3, p + from, to - from);
    while (k < cap && pos < to && pos - *start < limit) {
        const char *field = p + pos;
        size_t blk = pos / 64, last = (to - 1) / 64, eol;
        const uint64_t *ix = m->idx + 3 * blk;
        uint64_t fm = ~(uint64_t)0 << (pos % 64);
        uint64_t cm = ix[0] & fm, om = ix[1] & fm, xm = ix[2] & fm, odd = 0;
        uint64_t below;
        cs_str *f = m->fields, *fend = m->fields + MARK_FIELDS;
        cs_record rec;
        uint32_t word;

        if (last > (pos + MARK_LINE) / 64)
            last = (pos + MARK_LINE) / 64;
        while (!om) {
            f = put(f, p + 64 * blk, cm, &field);
            if (++blk > last || f > fend)
                goto other;
            ix += 3;
            odd |= xm;
            cm = ix[0];
            om = ix[1];
            xm = ix[2];
        }
        below = (om & -om) - 1;
        f = put(f, p + 64 * blk, cm & below, &field);
        eol = 64 * blk + ctz64(om);
        if (f > fend || p[eol] != '\n' || eol - pos > MARK_LINE)
            goto other;
        f->ptr = field;
        f->len = (size_t)(p + eol - field);
        memset(&rec, 0, sizeof rec);
        rec.fields = m->fields;
        rec.nfields = (size_t)(f - m->fields) + 1;
        rec.raw = (cs_str){ p + pos, eol - pos };
        rec.lf_end = 1;
        rec.printable = !(odd | (xm & below));
        marks[k++] = (uint64_t)(eol - pos) << 32 |
                     (m->check(m->ctx, &rec, &word)
                          ? MARK_CHECKED | word |
                            (rec.printable ? MARK_PRINTABLE : 0)
                          : 0);
        pos = eol + 1;
        continue;
    other:
        /* Not split here: read the ordinary way, if no quote is in it. */
        if (!(nl = memchr(p + pos, '\n', to - pos)) ||
            memchr(p + pos, '"', (size_t)(nl - p) - pos))
            return k;
        marks[k++] = (uint64_t)((size_t)(nl - p) - pos) << 32;
        pos = (size_t)(nl - p) + 1;
    }
    return k;
}

static size_t mark_narrow(cs_marker *m, const char *p, size_t n, size_t limit,
                          uint64_t *marks, size_t cap, size_t *start)
{
    return mark_lines(m, p, n, limit, marks, cap, start, put_fields);
}

#ifdef CS_SCAN_AVX512
__attribute__((target(AVX512_TARGET)))
static size_t mark_wide(cs_marker *m, const char *p, size_t n, size_t limit,
                        uint64_t *marks, size_t cap, size_t *start)
{
    return mark_lines(m, p, n, limit, marks, cap, start, put_fields_wide);
}
#endif

static size_t mark_fill(void *ctx, const char *p, size_t n, size_t limit,
                        uint64_t *marks, size_t cap, size_t *start)
{
    cs_marker *m = ctx;

#ifdef CS_SCAN_AVX512
    if (m->wide)
        return mark_wide(m, p, n, limit, marks, cap, start);
#endif
    return mark_narrow(m, p, n, limit, marks, cap, start);
}

int cs_reader_mark_ahead(cs_reader *r, cs_mark_check *check, void *ctx)
{
    cs_marker *m;
    size_t span = cs_source_lends(r->src);

    if (r->marker || span == 0 || !(m = calloc(1, sizeof *m)))
        return 0;
    m->scan = r->scan;
    m->wide = r->wide;
    m->check = check;
    m->ctx = ctx;
    if (!(m->idx = malloc((span + 63) / 64 * 3 * sizeof *m->idx))) {
        free(m);
        return 0;
    }
    if (!cs_source_mark_fills(r->src, mark_fill, m)) {
        free(m->idx);
        free(m);
        return 0;
    }
    r->marker = m;  /* freed after the source, whose thread calls it */
    return 1;
}

int cs_reader_open_header(cs_reader **out, const cs_record **header,
                          const char *path, const cs_read_opts *o,
                          cs_error *err)
{
    int rc;

    if (cs_reader_open(out, path, o, err) < 0)
        return err->code;
    if ((rc = cs_reader_next(*out, header, err)) > 0)
        return CS_OK;
    if (rc == 0)
        cs_error_at(err, CS_EPARSE, (cs_pos){ path, 1, 0 },
                    "empty input: the header is missing");
    cs_reader_free(*out);
    *out = NULL;
    return err->code;
}

void cs_reader_skip_overlong(cs_reader *r, int on) { r->skip_overlong = on; }
void cs_reader_pass_lines(cs_reader *r, cs_first_fn *keep, void *ctx)
{
    r->pass = keep;
    r->pass_ctx = ctx;
    r->other = keep || r->failed.code != CS_OK;
}
uint64_t cs_reader_passed(const cs_reader *r) { return r->passed; }

void cs_reader_split_head(cs_reader *r, size_t n)
{
    r->head = n;
}

void cs_reader_split_rest(cs_reader *r)
{
    cs_record *rec = &r->rec;
    size_t k = rec->nfields - rec->unsplit;
    const char *p, *end = rec->raw.ptr + rec->raw.len;

    if (!rec->unsplit)
        return;
    /* Split in place, no quote, its fields counted: a comma ends each
     * but the last. There is a head, so a field before the rest. */
    p = r->fields[k - 1].ptr + r->fields[k - 1].len + 1;
    for (; k + 1 < rec->nfields; k++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        r->fields[k] = (cs_str){ p, (size_t)(c - p) };
        p = c + 1;
    }
    r->fields[k] = (cs_str){ p, (size_t)(end - p) };
    rec->unsplit = 0;
}
void cs_reader_on_move(cs_reader *r, void (*fn)(void *ctx), void *ctx)
{
    r->on_move = fn;
    r->on_move_ctx = ctx;
}
const char *cs_reader_skipped(const cs_reader *r, uint64_t *len)
{
    if (!r->skipped_now)
        return NULL;
    if (len)
        *len = r->skipped;
    return r->why;
}

unsigned long cs_reader_skipped_field(const cs_reader *r)
{
    return r->skipped_now ? r->skipped_col : 0;
}

void cs_reader_ahead(const cs_reader *r, const char **p, const char **end)
{
    *p = r->buf ? r->buf + r->pos : NULL;
    *end = r->buf ? r->buf + r->len : NULL;
}

const char *cs_reader_name(const cs_reader *r) { return cs_source_name(r->src); }
const cs_source *cs_reader_source(const cs_reader *r) { return r->src; }

void cs_reader_free(cs_reader *r)
{
    if (!r)
        return;
    csv_free(&r->csv);
    cs_source_free(r->src);
    if (r->marker)
        free(r->marker->idx);
    free(r->marker);
    cs_buf_dispose(&r->arena);
    cs_buf_dispose(&r->raw);
    free(r->offs);
    free(r->fields);
    free(r->idx);
    free(r->own);
    free(r);
}
