/* Growable byte buffer with a mandatory cap: garbage input gives CS_ELIMIT
 * with a position instead of an out-of-memory death.
 *
 * The error is sticky: after an append fails (out of memory, or the cap),
 * every further append does nothing and returns the same code, and the
 * buffer keeps the first failure with its reason. So a renderer is a list
 * of appends and one cs_buf_check at the end, and a caller that gets a
 * failure from a function that wrote into b can still say why. */
#ifndef CRAMPSTAT_BUF_H
#define CRAMPSTAT_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <crampstat/error.h>

typedef struct cs_str {
    const char *ptr;
    size_t len;
} cs_str;

#define CS_STR(lit) ((cs_str){ (lit), sizeof(lit) - 1 })

typedef struct cs_buf {
    char *ptr;
    size_t len, cap, max;  /* max: hard cap in bytes (0 = 1 GiB) */
    int code;              /* the first failure (CS_ENOMEM, CS_ELIMIT,
                            * CS_ERROR); CS_OK while there is none */
    int grown;             /* ptr is cs_grow_realloc's (cs_buf_init_grown);
                            * beside code, in what was padding: a cs_buf
                            * stays 48 bytes, as the structs that hold one
                            * were laid out for */
    size_t want;           /* the size that failed to fit, for its message */
} cs_buf;

void cs_buf_init(cs_buf *b, size_t max);
/* The same for a buffer that only grows and reaches megabytes (the
 * survey's wave text): its memory comes from cs_grow_realloc (grow.h),
 * which grows it in place on huge pages. */
void cs_buf_init_grown(cs_buf *b, size_t max);
void cs_buf_dispose(cs_buf *b);
/* Make room for n more bytes; CS_ENOMEM or CS_ELIMIT (err left clear: the
 * caller knows the position and sets it), which then sticks. The append
 * functions return CS_OK or the sticky code, as this does. */
int cs_buf_reserve(cs_buf *b, size_t n);
int cs_buf_append(cs_buf *b, const void *p, size_t n);
int cs_buf_putc(cs_buf *b, char c);
static inline int cs_buf_puts(cs_buf *b, const char *s)
{
    return cs_buf_append(b, s, __builtin_strlen(s));
}
int cs_buf_printf(cs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Empty the buffer for reuse, and forget its error: a reader reuses one
 * for each record, and a record over the cap must not stop the next. */
static inline void cs_buf_reset(cs_buf *b)
{
    b->len = 0;
    b->code = CS_OK;
}
/* Make code (CS_ENOMEM, CS_ELIMIT, CS_ERROR) b's sticky error unless it
 * has one already, for a failure met while making its text (a table that
 * could not be built); returns b's error. */
int cs_buf_fail(cs_buf *b, int code);
/* The sticky error: CS_OK, or the code of the first failed append. */
static inline int cs_buf_error(const cs_buf *b) { return b->code; }
/* CS_OK when every append so far succeeded; otherwise the first failure's
 * code, with its reason set in err ("out of memory growing text to N
 * bytes", "text over its cap of N bytes"). */
int cs_buf_check(const cs_buf *b, cs_error *err);
/* Why a renderer failed, for its caller: err's own reason when it set
 * one, else b's (its cap, memory), else out of memory (a renderer's
 * tables fail only that way). Returns the code. */
int cs_buf_failed(const cs_buf *b, cs_error *err);
/* Hand the bytes over to the caller (NUL-terminated), to be freed with
 * free(); b is empty after. From a grown buffer, a copy (which may fail:
 * NULL), and the buffer keeps its memory. */
char *cs_buf_take(cs_buf *b, size_t *len);

/* Inline: they run several times per field on the hot path, and with a
 * literal argument the compiler folds strlen away. */
static inline int cs_str_eq(cs_str a, const char *lit)
{
    size_t n = __builtin_strlen(lit);
    return a.len == n && __builtin_memcmp(a.ptr, lit, n) == 0;
}

/* Whether the first w and the last w of the n bytes (w <= n <= 2 w) at x
 * and y are the same: all n of them. */
static inline int cs__ends_eq(const unsigned char *x, const unsigned char *y,
                              size_t n, size_t w)
{
    uint64_t x0 = 0, x1 = 0, y0 = 0, y1 = 0;

    memcpy(&x0, x, w);
    memcpy(&y0, y, w);
    memcpy(&x1, x + n - w, w);
    memcpy(&y1, y + n - w, w);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

/* Whether the n bytes at a and b are the same: ids of up to 16 bytes in
 * two overlapping loads of each, without a call (memcmp was a call a
 * session in each table that checks "the same participant as before"). */
static inline int cs_bytes_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    if (n >= 8 && n <= 16)
        return cs__ends_eq(x, y, n, 8);
    if (n >= 4 && n < 8)
        return cs__ends_eq(x, y, n, 4);
    if (n < 4)   /* bytes 0, n / 2 and n - 1 are all of them */
        return n == 0 || (x[0] == y[0] && x[n / 2] == y[n / 2] &&
                          x[n - 1] == y[n - 1]);
    return memcmp(a, b, n) == 0;
}

/* Byte order, a prefix first: <0, 0, >0 as a sorts before, with or
 * after b. */
static inline int cs_str_cmp(cs_str a, cs_str b)
{
    int d = __builtin_memcmp(a.ptr, b.ptr, a.len < b.len ? a.len : b.len);
    return d ? d : (a.len > b.len) - (a.len < b.len);
}

/* ASCII case-insensitive. */
static inline int cs_str_ieq(cs_str a, const char *lit)
{
    size_t n = __builtin_strlen(lit);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a.ptr[i], y = (unsigned char)lit[i];
        if (x != y && (x | 0x20) != (y | 0x20))
            return 0;
        if (x != y && !((x | 0x20) >= 'a' && (x | 0x20) <= 'z'))
            return 0;
    }
    return 1;
}

static inline cs_str cs_str_trim(cs_str s)
{
    /* Most fields have nothing to trim: both ends above ' ' are neither a
     * space nor a tab, and one test of each settles it. */
    if (s.len == 0 || ((unsigned char)s.ptr[0] > ' ' &&
                       (unsigned char)s.ptr[s.len - 1] > ' '))
        return s;
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

#endif
