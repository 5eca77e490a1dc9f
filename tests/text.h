/* A growable, always NUL-terminated text for the tests' generated inputs
 * and dumps of what was read: include after cmocka.h, stdio.h, stdlib.h
 * and string.h. */
#ifndef CS_TESTS_TEXT_H
#define CS_TESTS_TEXT_H

struct text {
    char *p;
    size_t len, cap;
};

/* Room for n more bytes and the NUL. */
static inline void reserve(struct text *t, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (t->len + n + 1 > cap)
            cap *= 2;
        t->p = realloc(t->p, cap);
        assert_non_null(t->p);
        t->cap = cap;
    }
}

static inline void put(struct text *t, const void *s, size_t n)
{
    reserve(t, n);
    if (n)
        memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static inline void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static inline void putrep(struct text *t, char c, size_t n)
{
    reserve(t, n);
    memset(t->p + t->len, c, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* At most 255 bytes of formatted text. */
static inline void putf(struct text *t, const char *fmt, ...)
{
    char b[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    puts_(t, b);
}

#endif
