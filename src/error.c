/* The error struct: fixed size, first error wins, so cleanup code can never
 * overwrite the root cause and reporting never allocates. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/error.h>

static void copy_src(cs_error *err, const char *src)
{
    if (!src)
        src = "";
    snprintf(err->src, sizeof err->src, "%s", src);
}

static int vset(cs_error *err, int code, const char *fmt, va_list ap)
{
    if (!err || err->code != CS_OK)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    /* One line: a message quoting data must not break the report format. */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

int cs_error_set(cs_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    if (!err || err->code != CS_OK)
        return code;
    va_start(ap, fmt);
    vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int cs_error_at(cs_error *err, int code, cs_pos pos, const char *fmt, ...)
{
    va_list ap;
    if (!err || err->code != CS_OK)
        return code;
    copy_src(err, pos.src);
    err->line = pos.line;
    err->col = pos.col;
    va_start(ap, fmt);
    vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int cs_error_offset(cs_error *err, int code, const char *src,
                    unsigned long long offset, const char *fmt, ...)
{
    va_list ap;
    if (!err || err->code != CS_OK)
        return code;
    copy_src(err, src);
    err->offset = offset;
    err->has_offset = 1;
    va_start(ap, fmt);
    vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void cs_error_clear(cs_error *err)
{
    memset(err, 0, sizeof *err);
}

const char *cs_error_format(const cs_error *err, char *buf, unsigned long cap)
{
    size_t n = 0;

    buf[0] = '\0';
    if (err->src[0]) {
        if (err->has_offset)
            n = (size_t)snprintf(buf, cap, "%s: byte %llu: ", err->src,
                                 err->offset);
        else if (err->line && err->col)
            n = (size_t)snprintf(buf, cap, "%s:%lu:%lu: ", err->src,
                                 err->line, err->col);
        else if (err->line)
            n = (size_t)snprintf(buf, cap, "%s:%lu: ", err->src, err->line);
        else
            n = (size_t)snprintf(buf, cap, "%s: ", err->src);
    }
    if (n < cap)
        snprintf(buf + n, cap - n, "%s", err->msg);
    return buf;
}
