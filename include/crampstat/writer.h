/* Buffered CSV/TSV output with a sticky error: cs_writer_put stays cheap,
 * and cs_writer_close reports the first failure (a full disk is never a
 * truncated result that looks complete). */
#ifndef CRAMPSTAT_WRITER_H
#define CRAMPSTAT_WRITER_H

#include <stddef.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>
#include <crampstat/reader.h>

typedef struct cs_write_opts {
    char sep;       /* ',' (default) or '\t' */
    int safe_csv;   /* prefix cells starting with = + - @ with a quote ' */
} cs_write_opts;

typedef struct cs_writer cs_writer;

/* Write to fd (not closed by the writer); name is used in messages. */
int cs_writer_open_fd(cs_writer **out, int fd, const char *name,
                      const cs_write_opts *o, cs_error *err);
/* One field: separators are added between fields of a row; quoted as
 * RFC 4180 requires (TSV: tabs and newlines replaced by spaces). */
void cs_writer_field(cs_writer *w, const char *p, size_t n);
static inline void cs_writer_str(cs_writer *w, cs_str s)
{
    cs_writer_field(w, s.ptr, s.len);
}
void cs_writer_cstr(cs_writer *w, const char *s);
/* A field known to need no quoting (numbers we formatted ourselves). */
void cs_writer_plain(cs_writer *w, const char *p, size_t n);
void cs_writer_end_row(cs_writer *w);
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
