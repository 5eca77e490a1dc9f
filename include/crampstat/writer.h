/* Buffered CSV/TSV output with a sticky error: cs_writer_put stays cheap,
 * and cs_writer_close reports the first failure (a full disk is never a
 * truncated result that looks complete). */
#ifndef CRAMPSTAT_WRITER_H
#define CRAMPSTAT_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>
#include <crampstat/reader.h>

typedef struct cs_write_opts {
    char sep;       /* ',' (default) or '\t' */
    int safe_csv;   /* prefix cells starting with = + - @ with a quote ' */
} cs_write_opts;

typedef struct cs_writer cs_writer;

/* Bytes buffered before a write(2). */
#define CS_WRITER_BUF (64 * 1024)
/* The most a caller may ask cs_writer_cells_begin for. */
#define CS_WRITER_ROOM 4096

/* Private: the fields are here only so that the per-field calls below can
 * be inline (tag and join write some fifty fields a row, and a call, a
 * memcpy and a flush test per field were a fifth of their time). Only
 * writer.c and the inline functions of this header touch them. */
struct cs_writer {
    char *buf;              /* CS_WRITER_BUF bytes */
    size_t len;             /* bytes in buf */
    unsigned char more;     /* a field was written in this row: the next
                               one is preceded by a separator */
    char sep;
    /* Nonzero for the bytes that send a field to the slow path: those
     * that need quoting (CSV) or replacing (TSV), and, in lead (the
     * first byte), those that --safe-csv may neutralise. */
    unsigned char special[256], lead[256];
    int fd;
    int err_no;             /* sticky errno of a failed write */
    cs_write_opts opts;
    char name[256];
};

/* Out-of-line halves of the inline functions below, taken when the buffer
 * is nearly full or a field needs quoting; not for direct use (cs__ names
 * belong in src/internal.h, but inline code of a public header calls
 * these). */
void cs__writer_plain_slow(cs_writer *w, const char *p, size_t n);
void cs__writer_field_slow(cs_writer *w, const char *p, size_t n);
void cs__writer_drain(cs_writer *w);

/* Longest cell the inline cs_writer_plain copies itself; longer ones are
 * few (a wave's text) and take memcpy in writer.c. */
#define CS_WRITER_SHORT 32

/* n <= CS_WRITER_SHORT bytes from s to d (not overlapping) without a call
 * to memcpy: two overlapping fixed-size copies cover any length between
 * the size and twice the size, and never read outside s. */
static inline void cs__writer_copy(char *d, const char *s, size_t n)
{
    if (n > 16) {
        __builtin_memcpy(d, s, 16);
        __builtin_memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        __builtin_memcpy(d, s, 8);
        __builtin_memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        __builtin_memcpy(d, s, 4);
        __builtin_memcpy(d + n - 4, s + n - 4, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Write to fd (not closed by the writer); name is used in messages. */
int cs_writer_open_fd(cs_writer **out, int fd, const char *name,
                      const cs_write_opts *o, cs_error *err);

/* One field: separators are added between fields of a row; quoted as
 * RFC 4180 requires (TSV: tabs and newlines replaced by spaces). */
static inline void cs_writer_field(cs_writer *w, const char *p, size_t n)
{
    /* Common case: room for the separator and the bytes, and nothing to
     * quote, replace or neutralise. The separator is stored even when
     * none is due (the cell's first byte or nothing then overwrites it),
     * which saves a branch. Bytes are copied while they are checked; on
     * a special byte the slow path starts over from w->len. */
    if (n < CS_WRITER_BUF - w->len) {
        char *d = w->buf + w->len;
        unsigned char bad = 0;

        *d = w->sep;
        d += w->more;
        if (n > 0) {
            bad = w->lead[(unsigned char)p[0]];
            d[0] = p[0];
            for (size_t i = 1; i < n; i++) {
                bad |= w->special[(unsigned char)p[i]];
                d[i] = p[i];
            }
        }
        if (!bad) {
            w->len = (size_t)(d + n - w->buf);
            w->more = 1;
            return;
        }
    }
    cs__writer_field_slow(w, p, n);
}

static inline void cs_writer_str(cs_writer *w, cs_str s)
{
    cs_writer_field(w, s.ptr, s.len);
}

static inline void cs_writer_cstr(cs_writer *w, const char *s)
{
    cs_writer_field(w, s, __builtin_strlen(s));
}

/* A field known to need no quoting (numbers we formatted ourselves). */
static inline void cs_writer_plain(cs_writer *w, const char *p, size_t n)
{
    if (n <= CS_WRITER_SHORT && n < CS_WRITER_BUF - w->len) {
        char *d = w->buf + w->len;

        *d = w->sep;
        d += w->more;
        cs__writer_copy(d, p, n);
        w->len = (size_t)(d + n - w->buf);
        w->more = 1;
        return;
    }
    cs__writer_plain_slow(w, p, n);
}

/* Bytes that are one or more complete cells, already formatted for this
 * writer's separator and needing no quoting (for example a canonical
 * row's text copied as it is): a separator is written first unless this
 * starts the row. The bytes go out as they are: safe_csv is ignored and
 * nothing is quoted or replaced, so the caller must not use this when
 * safe_csv is on or when the writer's separator differs from the text's
 * (see cs_writer_separator). */
static inline void cs_writer_cells(cs_writer *w, const char *p, size_t n)
{
    /* As cs_writer_plain, but the text is usually a row's worth: memcpy
     * rather than the short-cell copies. */
    if (n < CS_WRITER_BUF - w->len) {
        char *d = w->buf + w->len;

        *d = w->sep;
        d += w->more;
        /* The writer's state before the copy, which then ends a caller
         * that writes nothing after it with a jump to memcpy. */
        w->len = (size_t)(d + n - w->buf);
        w->more = 1;
        if (n > 0)      /* p may be NULL then, which memcpy must not get */
            __builtin_memcpy(d, p, n);
        return;
    }
    cs__writer_plain_slow(w, p, n);
}

/* n bytes from s to d (not overlapping) as cs__writer_copy does, for
 * n <= 128 (a row's worth of cells) without a call to memcpy; memcpy
 * beyond. */
static inline void cs__writer_copy_row(char *d, const char *s, size_t n)
{
    if (n > 128) {
        __builtin_memcpy(d, s, n);
    } else if (n > 64) {
        __builtin_memcpy(d, s, 64);
        __builtin_memcpy(d + n - 64, s + n - 64, 64);
    } else if (n > CS_WRITER_SHORT) {
        __builtin_memcpy(d, s, 32);
        __builtin_memcpy(d + n - 32, s + n - 32, 32);
    } else {
        cs__writer_copy(d, s, n);
    }
}

void cs__writer_line_slow(cs_writer *w, const char *p, size_t n,
                          const char *tail, size_t tn);

/* A whole row: n bytes of cells at p, as cs_writer_cells takes them,
 * then tail, the rest of the row as it goes out (a separator and more
 * cells, no quoting) ending in its newline; as cs_writer_cells (p), then
 * cs_writer_raw (tail), at the start of a row. For join, whose rows are
 * a session's cells and a tail that the wave's sessions share: two
 * copies and no call. */
static inline void cs_writer_line(cs_writer *w, const char *p, size_t n,
                                  const char *tail, size_t tn)
{
    if (!w->more && n + tn < CS_WRITER_BUF - w->len) {
        char *d = w->buf + w->len;

        cs__writer_copy_row(d, p, n);
        cs__writer_copy_row(d + n, tail, tn);
        w->len = (size_t)(d + n + tn - w->buf);
        return;
    }
    cs__writer_line_slow(w, p, n, tail, tn);
}

/* May text already written as CSV cells with separator sep go out through
 * cs_writer_cells unchanged? Not under --safe-csv, nor to TSV. */
static inline int cs_writer_copies(const cs_writer *w, char sep)
{
    return w->opts.sep == sep && !w->opts.safe_csv;
}

/* The separator between cells, for callers of cs_writer_cells. */
static inline char cs_writer_separator(const cs_writer *w)
{
    return w->sep;
}

/* Cells formatted in place, for formatters that would otherwise build the
 * text in a buffer of their own and copy it: cs_writer_cells_begin makes
 * room for n bytes (n <= CS_WRITER_ROOM; the separator due before the
 * first cell is not counted) and returns where the first cell's text
 * goes; the caller writes one or more cells, separated by
 * cs_writer_separator(w), and passes the end of what it wrote to
 * cs_writer_cells_end. As cs_writer_cells: no quoting, safe_csv ignored. */
static inline char *cs_writer_cells_begin(cs_writer *w, size_t n)
{
    char *d;

    if (n >= CS_WRITER_BUF - w->len)
        cs__writer_drain(w);
    d = w->buf + w->len;
    *d = w->sep;
    return d + w->more;
}

static inline void cs_writer_cells_end(cs_writer *w, char *end)
{
    w->len = (size_t)(end - w->buf);
    w->more = 1;
}

static inline void cs_writer_end_row(cs_writer *w)
{
    if (w->len == CS_WRITER_BUF)
        cs__writer_drain(w);
    w->buf[w->len++] = '\n';
    w->more = 0;
}

/* Numbers for cells formatted in place, and for other formatters that
 * write to memory of their own: printf's digits without printf (which was
 * a seventh of tag's time). */
extern const char cs__digit_pairs[201];    /* "00" "01" ... "99" */

/* The k digits of v < 10^k (k <= 10), leading zeros kept, ending at end;
 * two at a time, in 32 bits. */
static inline void cs_fmt_digits(char *end, uint32_t v, int k)
{
    while (k >= 2) {
        uint32_t q = v / 100;
        end -= 2;
        __builtin_memcpy(end, cs__digit_pairs + 2 * (v - q * 100), 2);
        v = q;
        k -= 2;
    }
    if (k)
        end[-1] = (char)('0' + v);
}

/* The last two digits of v at d (hours, months, days: "07"). */
static inline void cs_fmt_2digits(char *d, uint32_t v)
{
    cs_fmt_digits(d + 2, v, 2);
}

/* Exactly 9 digits of v < 10^9 at d, leading zeros kept, without a
 * division: y = v * ceil(2^57 / 10^8) holds the first digit above bit 57
 * and the rest as a binary fraction, from which each multiplication by
 * 100 lifts the next two digits. Rounding the constant up adds less than
 * v < 10^9 to y, and 100^4 times that stays below 2^57, so no digit is
 * ever off (checked for every v below 10^9). */
static inline void cs_fmt_9digits(char *d, uint32_t v)
{
    const uint64_t mask = ((uint64_t)1 << 57) - 1;
    uint64_t y = (uint64_t)v * 1441151881U;

    d[0] = (char)('0' + (y >> 57));
    for (int i = 1; i < 9; i += 2) {
        y = (y & mask) * 100;
        __builtin_memcpy(d + i, cs__digit_pairs + 2 * (y >> 57), 2);
    }
}

char *cs__fmt_u64_long(char *d, uint64_t v);

/* v in decimal at d, as printf's %llu writes it (at most 20 bytes);
 * returns the end. Branches by size rather than a loop: the numbers a
 * row holds are mostly below 10^4. */
static inline char *cs_fmt_u64(char *d, uint64_t v)
{
    uint32_t x = (uint32_t)v, q;

    if (v > UINT32_MAX)
        return cs__fmt_u64_long(d, v);
    if (x < 10) {
        d[0] = (char)('0' + x);
        return d + 1;
    }
    if (x < 100) {
        __builtin_memcpy(d, cs__digit_pairs + 2 * x, 2);
        return d + 2;
    }
    if (x < 1000) {
        q = x / 100;
        d[0] = (char)('0' + q);
        __builtin_memcpy(d + 1, cs__digit_pairs + 2 * (x - q * 100), 2);
        return d + 3;
    }
    if (x < 10000) {
        q = x / 100;
        __builtin_memcpy(d, cs__digit_pairs + 2 * q, 2);
        __builtin_memcpy(d + 2, cs__digit_pairs + 2 * (x - q * 100), 2);
        return d + 4;
    }
    if (x < 1000000000) {
        /* The digits of x / 10^4 by the short paths, then four. */
        q = x / 10000;
        d = cs_fmt_u64(d, q);
        cs_fmt_digits(d + 4, x - q * 10000, 4);
        return d + 4;
    }
    q = x / 1000000000;
    d[0] = (char)('0' + q);
    cs_fmt_9digits(d + 1, x - q * 1000000000);
    return d + 10;
}

/* Bytes as they are (no quoting, no separators). */
void cs_writer_raw(cs_writer *w, const char *p, size_t n);
/* A whole record, field by field, and the row end. */
void cs_writer_put(cs_writer *w, const cs_record *rec);
/* 0, or the sticky error's code. */
int cs_writer_error(const cs_writer *w, cs_error *err);
int cs_writer_flush(cs_writer *w, cs_error *err);
/* Flush, report the first error (into err if it is clear), free. */
int cs_writer_close(cs_writer *w, cs_error *err);

#endif
