/* Growable buffers with a hard cap. Growth doubles, so a stream that reuses
 * one buffer allocates only while warming up. The first failure sticks
 * (buf.h): every append goes through cs_buf_reserve, which checks it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/buf.h>
#include <crampstat/grow.h>
#include "internal.h"

#define DEFAULT_MAX ((size_t)1 << 30)

void cs_buf_init(cs_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : DEFAULT_MAX;
    b->code = CS_OK;
    b->want = 0;
    b->grown = 0;
}

void cs_buf_init_grown(cs_buf *b, size_t max)
{
    cs_buf_init(b, max);
    b->grown = 1;
}

void cs_buf_dispose(cs_buf *b)
{
    if (b->grown)
        cs_grow_free(b->ptr);
    else
        free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->code = CS_OK;
}

static int fail(cs_buf *b, int code, size_t n)
{
    b->code = code;
    b->want = n > SIZE_MAX - b->len ? SIZE_MAX : b->len + n;
    return code;
}

int cs_buf_fail(cs_buf *b, int code)
{
    if (!b->code && code)
        fail(b, code, 0);
    return b->code;
}

int cs_buf_reserve(cs_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (b->code)
        return b->code;
    /* +1 keeps room for a terminating NUL without another reserve. */
    if (n > b->max || b->len > b->max - n)
        return fail(b, CS_ELIMIT, n);
    need = b->len + n + 1;
    if (need <= b->cap)
        return CS_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = b->grown ? cs_grow_realloc(b->ptr, cap) : realloc(b->ptr, cap);
    if (!p)
        return fail(b, CS_ENOMEM, n);
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
    /* A failed reserve leaves cap as it was, so check code here too. */
    if (b->len + 1 < b->cap && !b->code) {
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
        return b->code ? b->code : fail(b, CS_ERROR, 0);
    if ((rc = cs_buf_reserve(b, (size_t)n)) < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CS_OK;
}

int cs_buf_check(const cs_buf *b, cs_error *err)
{
    switch (b->code) {
    case CS_OK:
        return CS_OK;
    case CS_ELIMIT:
        return cs_error_set(err, CS_ELIMIT, "text over its cap of %zu bytes "
                            "(%zu wanted)", b->max, b->want);
    case CS_ENOMEM:
        return cs_error_set(err, CS_ENOMEM, "out of memory growing text to "
                            "%zu bytes", b->want);
    default:
        return cs_error_set(err, b->code, "cannot format text (printf "
                            "failed)");
    }
}

char *cs_buf_take(cs_buf *b, size_t *len)
{
    char *p;

    if (!b->ptr && cs_buf_reserve(b, 0) < 0)
        return NULL;
    b->ptr[b->len] = '\0';
    if (b->grown) {
        /* The caller frees what it takes with free(): a copy, and the
         * buffer keeps its memory. */
        if (!(p = malloc(b->len + 1)))
            return NULL;
        memcpy(p, b->ptr, b->len + 1);
    } else {
        p = b->ptr;
        b->ptr = NULL;
        b->cap = 0;
    }
    if (len)
        *len = b->len;
    b->len = 0;
    b->code = CS_OK;
    return p;
}


int cs_buf_failed(const cs_buf *b, cs_error *err)
{
    int code = err->code ? err->code : cs_buf_check(b, err);
    return code ? code : cs_error_set(err, CS_ENOMEM, "out of memory");
}

int cs__u32_room(uint32_t **a, size_t *n, uint64_t need, size_t most)
{
    size_t m = *n ? *n : 1024;
    uint32_t *p;

    if (need <= *n)
        return 1;
    while (m < need) {
        if (m > most / 2)
            return 0;
        m *= 2;
    }
    if (m > most || m > SIZE_MAX / sizeof *p)
        return 0;
    if (!(p = realloc(*a, m * sizeof *p)))
        return -1;
    memset(p + *n, 0, (m - *n) * sizeof *p);
    *a = p;
    *n = m;
    return 1;
}

int cs__who_set(cs__whomap *m, uint32_t who, uint32_t idx, size_t np)
{
    int rc;

    if (who == 0 || np > SIZE_MAX / 256 || who > 16 * (np + 65536))
        return 0;
    /* (a run's numbers come in any order; the map stays below
     * 32 (np + 65536) entries) */
    if ((rc = cs__u32_room(&m->at, &m->n, who, SIZE_MAX)) <= 0)
        return rc;
    m->at[who - 1] = idx;
    return 0;
}

void cs__who_clear(cs__whomap *m)
{
    free(m->at);
    m->at = NULL;
    m->n = 0;
}

#define IDSTORE_BLOCK ((size_t)64 * 1024)

const char *cs__idstore_copy(cs__idstore *s, const char *id, size_t len)
{
    char *b;

    if (!s->n || s->used + len > s->size) {
        size_t size = s->n < 9 ? (size_t)256 << s->n : IDSTORE_BLOCK;
        if (size < len)
            size = len;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            char **nb = realloc(s->blk, cap * sizeof *nb);
            if (!nb)
                return NULL;
            s->blk = nb;
            s->cap = cap;
        }
        if (!(b = malloc(size ? size : 1)))
            return NULL;
        s->blk[s->n++] = b;
        s->bytes += size;
        s->size = size;
        s->used = 0;
    }
    b = s->blk[s->n - 1] + s->used;
    memcpy(b, id, len);
    s->used += len;
    return b;
}

size_t cs__idstore_bytes(const cs__idstore *s)
{
    return s->bytes + s->cap * sizeof(char *);
}

void cs__idstore_free(cs__idstore *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->blk[i]);
    free(s->blk);
    memset(s, 0, sizeof *s);
}
