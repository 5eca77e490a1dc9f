/* The line and word reader shared by the partial-state parsers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "internal.h"

int cs__ptext_err(cs__ptext *t, unsigned long line, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cs_error_at(t->err, CS_EDATA, (cs_pos){ t->name, line, 0 },
                       "%s", msg);
}

/* The lines that end a section: the next one, the leaves and the
 * checksum that follow the last (partial.c), "end". */
static int ends_section(const char *p, size_t n)
{
    return (n > 8 && memcmp(p, "section ", 8) == 0) ||
           (n > 5 && memcmp(p, "leaf ", 5) == 0) ||
           (n > 7 && memcmp(p, "sha256 ", 7) == 0) ||
           (n == 3 && memcmp(p, "end", 3) == 0);
}

int cs__ptext_line(cs__ptext *t, cs_str *line)
{
    const char *nl;

    if (t->p >= t->end)
        return 0;
    nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
    if (t->in_section && nl && ends_section(t->p, (size_t)(nl - t->p)))
        return 0;
    t->line++;  /* an unfinished line is the one to name */
    if (!nl)
        return cs__ptext_err(t, t->line, "the state is truncated (no "
                             "newline at the end)");
    *line = (cs_str){ t->p, (size_t)(nl - t->p) };
    t->p = nl + 1;
    return 1;
}

cs_str cs__ptext_word(cs_str *s)
{
    const char *sp = memchr(s->ptr, ' ', s->len);
    cs_str w = { s->ptr, sp ? (size_t)(sp - s->ptr) : s->len };

    s->ptr += w.len + (sp ? 1 : 0);
    s->len -= w.len + (sp ? 1 : 0);
    return w;
}

int cs__ptext_u64(cs__ptext *t, cs_str *s, uint64_t *out)
{
    int rc = cs__parse_u64(cs__ptext_word(s), out);

    if (rc == -2)
        return cs__ptext_err(t, t->line, "a count does not fit in 64 bits");
    if (rc < 0)
        return cs__ptext_err(t, t->line, "expected a count (a whole number "
                             ">= 0)");
    return CS_OK;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                 : -1;
}

int cs__ptext_unescape(cs_str in, char *out, size_t cap, size_t *len)
{
    size_t n = 0;

    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        if (n + 1 >= cap)
            return -3;
        if (c == '%') {
            /* Two upper-case hex digits, as the writers put them: a state
             * has one spelling, so equal states are equal bytes. */
            int hi, lo;
            if (i + 2 >= in.len || (hi = hexval(in.ptr[i + 1])) < 0 ||
                (lo = hexval(in.ptr[i + 2])) < 0 || (hi | lo) == 0)
                return -1;
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            return -2;
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    *len = n;
    return 0;
}

int cs__ptext_key(cs__ptext *t, const char *key, cs_str *rest)
{
    cs_str line;
    int rc = cs__ptext_line(t, &line);

    if (rc < 0)
        return rc;
    if (rc == 0 && t->in_section && t->p < t->end)
        return cs__ptext_err(t, t->line, "\"%s\" is missing: the section "
                             "ends before it", key);
    if (rc == 0)
        return cs__ptext_err(t, t->line, "the state is truncated: \"%s\" is "
                             "missing", key);
    if (!cs_str_eq(cs__ptext_word(&line), key))
        return cs__ptext_err(t, t->line, "expected \"%s\"", key);
    *rest = line;
    return CS_OK;
}

int cs__ptext_str(cs__ptext *t, cs_str s, char **out)
{
    char *d;
    size_t n;

    if (s.len == 0 || s.ptr[0] != ':')
        return cs__ptext_err(t, t->line, "expected ':' and a value");
    if (!(d = malloc(s.len)))
        return cs_error_set(t->err, CS_ENOMEM, "out of memory");
    switch (cs__ptext_unescape((cs_str){ s.ptr + 1, s.len - 1 }, d, s.len, &n)) {
    case 0:
        *out = d;
        return CS_OK;
    case -2:
        free(d);
        return cs__ptext_err(t, t->line, "unescaped byte in a value");
    default:
        free(d);
        return cs__ptext_err(t, t->line, "bad %%-escape");
    }
}

int cs__ptext_fixed_str(cs__ptext *t, const char *key, char *dst, size_t cap)
{
    cs_str rest;
    char *s;
    int rc;

    if ((rc = cs__ptext_key(t, key, &rest)) < 0 ||
        (rc = cs__ptext_str(t, rest, &s)) < 0)
        return rc;
    if (strlen(s) >= cap) {
        free(s);
        return cs__ptext_err(t, t->line, "%s: value too long", key);
    }
    memcpy(dst, s, strlen(s) + 1);
    free(s);
    return CS_OK;
}

void cs__put_str(cs_buf *b, const char *s)
{
    cs_buf_putc(b, ':');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '%')
            cs_buf_printf(b, "%%%02X", c);
        else
            cs_buf_putc(b, (char)c);
    }
}

int cs__add_u64(uint64_t *x, uint64_t y)
{
    if (*x > UINT64_MAX - y)
        return -1;
    *x += y;
    return 0;
}
