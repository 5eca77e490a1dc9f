/* Buffered CSV output. One 64 KiB buffer and write(2): no stdio, so a
 * write error is seen where it happens and kept (sticky) until close.
 * The common cases (a cell with nothing to quote and room in the buffer)
 * are inline in writer.h; here are opening, the slow paths (a full
 * buffer, quoting, --safe-csv), flushing and closing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/writer.h>

int cs_writer_open_fd(cs_writer **out, int fd, const char *name,
                      const cs_write_opts *o, cs_error *err)
{
    cs_writer *w = calloc(1, sizeof *w);

    *out = NULL;
    if (!w || !(w->buf = malloc(CS_WRITER_BUF))) {
        free(w);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    w->fd = fd;
    snprintf(w->name, sizeof w->name, "%s", name);
    if (o)
        w->opts = *o;
    if (!w->opts.sep)
        w->opts.sep = ',';
    w->sep = w->opts.sep;
    w->more = 0;
    /* What cs__writer_field_slow quotes, replaces or neutralises. */
    if (w->sep == '\t') {
        w->special['\t'] = 1;
    } else {
        w->special[','] = 1;
        w->special['"'] = 1;
    }
    w->special['\n'] = 1;
    w->special['\r'] = 1;
    memcpy(w->lead, w->special, sizeof w->lead);
    if (w->opts.safe_csv) {
        w->lead['='] = 1;
        w->lead['+'] = 1;
        w->lead['-'] = 1;
        w->lead['@'] = 1;
    }
    *out = w;
    return CS_OK;
}

/* Write n bytes at p to the file, unless an error is already kept; a
 * failure is kept (sticky). */
static void write_all(cs_writer *w, const char *p, size_t n)
{
    while (n > 0 && !w->err_no) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            w->err_no = errno;
        } else {
            p += k;
            n -= (size_t)k;
        }
    }
}

static void drain(cs_writer *w)
{
    write_all(w, w->buf, w->len);
    w->len = 0;
}

void cs__writer_drain(cs_writer *w)
{
    drain(w);
}

static void put(cs_writer *w, const char *p, size_t n)
{
    if (w->len + n > CS_WRITER_BUF) {
        drain(w);
        if (n > CS_WRITER_BUF) {
            /* Larger than the buffer: written from where it lies, after
             * what the buffer held. */
            write_all(w, p, n);
            return;
        }
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static inline void putch(cs_writer *w, char c)
{
    if (w->len == CS_WRITER_BUF)
        drain(w);
    w->buf[w->len++] = c;
}

void cs_writer_raw(cs_writer *w, const char *p, size_t n)
{
    put(w, p, n);
}

static inline void sep(cs_writer *w)
{
    if (w->more)
        putch(w, w->sep);
    w->more = 1;
}

/* A plain cell without room for it: apart, so that the common case
 * below saves no registers for the flush. */
static __attribute__((noinline)) void plain_flush(cs_writer *w, const char *p,
                                                  size_t n)
{
    sep(w);
    put(w, p, n);
}

void cs__writer_plain_slow(cs_writer *w, const char *p, size_t n)
{
    /* Mostly a cell longer than the inline path copies (the wave's text
     * that join and tag write in every row), with room for it. */
    if (n < CS_WRITER_BUF - w->len) {
        char *d = w->buf + w->len;

        *d = w->sep;
        d += w->more;
        /* The writer's state first, so that the copy is the last call
         * (a jump, with nothing kept around it). */
        w->len = (size_t)(d + n - w->buf);
        w->more = 1;
        memcpy(d, p, n);
        return;
    }
    plain_flush(w, p, n);
}

void cs__writer_line_slow(cs_writer *w, const char *p, size_t n,
                          const char *tail, size_t tn)
{
    /* The row's cells (after a separator when the row has some already,
     * as cs_writer_cells), then the tail with its newline. */
    if (w->more || n > 0)
        sep(w);
    if (n > 0)          /* p may be NULL then, which memcpy must not get */
        put(w, p, n);
    put(w, tail, tn);
    w->more = 0;
}

void cs__writer_field_slow(cs_writer *w, const char *p, size_t n)
{
    int quote = 0;

    sep(w);
    if (w->opts.safe_csv && n > 0 &&
        (p[0] == '=' || p[0] == '+' || p[0] == '-' || p[0] == '@')) {
        /* Neutralise formulas for spreadsheets, unless it is a number. */
        int num = n > 1;
        for (size_t i = 1; i < n && num; i++)
            num = (p[i] >= '0' && p[i] <= '9') || p[i] == '.';
        if (!num || p[0] == '=' || p[0] == '@') {
            if (w->sep == '\t') {
                putch(w, '\'');
            } else {
                putch(w, '"');
                putch(w, '\'');
                quote = 2;
            }
        }
    }
    if (w->sep == '\t') {
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            putch(w, c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
        }
        return;
    }
    if (quote != 2) {
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                quote = 1;
                break;
            }
        }
        if (!quote) {
            put(w, p, n);
            return;
        }
        putch(w, '"');
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            putch(w, '"');
        putch(w, p[i]);
    }
    putch(w, '"');
}

const char cs__digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

char *cs__fmt_u64_long(char *d, uint64_t v)
{
    /* The digits above the last nine, then nine with leading zeros. */
    d = cs_fmt_u64(d, v / 1000000000U);
    cs_fmt_9digits(d, (uint32_t)(v % 1000000000U));
    return d + 9;
}

void cs_writer_put(cs_writer *w, const cs_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++)
        cs_writer_field(w, rec->fields[i].ptr, rec->fields[i].len);
    cs_writer_end_row(w);
}

int cs_writer_error(const cs_writer *w, cs_error *err)
{
    if (!w->err_no)
        return CS_OK;
    return cs_error_at(err, CS_EIO, (cs_pos){ w->name, 0, 0 },
                       "write failed: %s", strerror(w->err_no));
}

int cs_writer_flush(cs_writer *w, cs_error *err)
{
    drain(w);
    return cs_writer_error(w, err);
}

int cs_writer_close(cs_writer *w, cs_error *err)
{
    int rc;

    if (!w)
        return CS_OK;
    rc = cs_writer_flush(w, err);
    free(w->buf);
    free(w);
    return rc;
}
