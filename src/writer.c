/* Buffered CSV output. One 64 KiB buffer and write(2): no stdio, so a
 * write error is seen where it happens and kept (sticky) until close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/writer.h>

#define OUT_CHUNK (64 * 1024)

struct cs_writer {
    int fd;
    char name[256];
    cs_write_opts opts;
    char *buf;
    size_t len;
    int first;          /* next field is the first of its row */
    int err_no;         /* sticky errno of a failed write */
};

int cs_writer_open_fd(cs_writer **out, int fd, const char *name,
                      const cs_write_opts *o, cs_error *err)
{
    cs_writer *w = calloc(1, sizeof *w);

    *out = NULL;
    if (!w || !(w->buf = malloc(OUT_CHUNK))) {
        free(w);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    w->fd = fd;
    snprintf(w->name, sizeof w->name, "%s", name);
    if (o)
        w->opts = *o;
    if (!w->opts.sep)
        w->opts.sep = ',';
    w->first = 1;
    *out = w;
    return CS_OK;
}

static void drain(cs_writer *w)
{
    size_t off = 0;

    while (off < w->len && !w->err_no) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            w->err_no = errno;
        else
            off += (size_t)n;
    }
    w->len = 0;
}

static inline void put(cs_writer *w, const char *p, size_t n)
{
    if (w->len + n > OUT_CHUNK) {
        drain(w);
        if (n > OUT_CHUNK) {
            /* Larger than the buffer: write it through. */
            while (n > 0) {
                size_t k = n > OUT_CHUNK ? OUT_CHUNK : n;
                memcpy(w->buf, p, k);
                w->len = k;
                drain(w);
                p += k;
                n -= k;
            }
            return;
        }
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static inline void putch(cs_writer *w, char c)
{
    if (w->len == OUT_CHUNK)
        drain(w);
    w->buf[w->len++] = c;
}

void cs_writer_raw(cs_writer *w, const char *p, size_t n)
{
    put(w, p, n);
}

static inline void sep(cs_writer *w)
{
    if (!w->first)
        putch(w, w->opts.sep);
    w->first = 0;
}

void cs_writer_plain(cs_writer *w, const char *p, size_t n)
{
    sep(w);
    put(w, p, n);
}

void cs_writer_field(cs_writer *w, const char *p, size_t n)
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
            if (w->opts.sep == '\t') {
                putch(w, '\'');
            } else {
                putch(w, '"');
                putch(w, '\'');
                quote = 2;
            }
        }
    }
    if (w->opts.sep == '\t') {
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

void cs_writer_cstr(cs_writer *w, const char *s)
{
    cs_writer_field(w, s, strlen(s));
}

void cs_writer_end_row(cs_writer *w)
{
    putch(w, '\n');
    w->first = 1;
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
