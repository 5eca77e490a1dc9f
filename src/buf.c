/* Growable buffers with a hard cap. Growth doubles, so a stream that reuses
 * one buffer allocates only while warming up. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/buf.h>

#define DEFAULT_MAX ((size_t)1 << 30)

void cs_buf_init(cs_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : DEFAULT_MAX;
}

void cs_buf_dispose(cs_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

int cs_buf_reserve(cs_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    /* +1 keeps room for a terminating NUL without another reserve. */
    if (n > b->max || b->len > b->max - n)
        return CS_ELIMIT;
    need = b->len + n + 1;
    if (need <= b->cap)
        return CS_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->ptr, cap);
    if (!p)
        return CS_ENOMEM;
    b->ptr = p;
    b->cap = cap;
    return CS_OK;
}

int cs_buf_append(cs_buf *b, const void *p, size_t n)
{
    int rc = cs_buf_reserve(b, n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return CS_OK;
}

int cs_buf_putc(cs_buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
        return CS_OK;
    }
    return cs_buf_append(b, &c, 1);
}

int cs_buf_printf(cs_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CS_ERROR;
    if ((rc = cs_buf_reserve(b, (size_t)n)) < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CS_OK;
}

char *cs_buf_take(cs_buf *b, size_t *len)
{
    char *p;

    if (!b->ptr && cs_buf_reserve(b, 0) < 0)
        return NULL;
    p = b->ptr;
    p[b->len] = '\0';
    if (len)
        *len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

