/* Output helpers: one table type renders to every text format, so a
 * report is built once and every format shows the same numbers; and the
 * number and date formats every stage writes (fmt.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/fmt.h>
#include <crampstat/value.h>

static const char *const format_names[] = {
    "pretty", "csv", "tsv", "json", "md", "html"
};

int cs_format_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof format_names / sizeof format_names[0]); i++)
        if (strcmp(name, format_names[i]) == 0)
            return i;
    if (strcmp(name, "markdown") == 0)
        return CS_FMT_MD;
    return -1;
}

const char *cs_format_name(int f)
{
    return f >= 0 && f <= CS_FMT_HTML ? format_names[f] : NULL;
}

static char *dup(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int cs_table_init(cs_table *t, size_t ncols, const char *const *header)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->nrows = (size_t)-1;  /* the header is row 0 */
    if (!(t->numeric = calloc(ncols, 1)))
        return t->code = CS_ENOMEM;
    return cs_table_add(t, header);
}

int cs_table_add(cs_table *t, const char *const *cells)
{
    size_t row = t->nrows + 1;

    if (t->code)
        return t->code;
    if ((row + 1) * t->ncols > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16 * t->ncols;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c)
            return t->code = CS_ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t j = 0; j < t->ncols; j++) {
        const char *s = cells[j] ? cells[j] : "";
        if (!(t->cells[row * t->ncols + j] = dup(s))) {
            while (j-- > 0)         /* the row's cells so far */
                free(t->cells[row * t->ncols + j]);
            return t->code = CS_ENOMEM;
        }
        /* A column is numeric when every body cell looks like a number. */
        if (row > 0) {
            int num = s[0] == '-' || s[0] == '<' || (s[0] >= '0' && s[0] <= '9') || !s[0];
            if (row == 1)
                t->numeric[j] = (unsigned char)num;
            else if (!num)
                t->numeric[j] = 0;
        }
    }
    t->nrows = row;
    return CS_OK;
}

void cs_table_dispose(cs_table *t)
{
    if (t->cells)
        for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
            free(t->cells[i]);
    free(t->cells);
    free(t->numeric);
    memset(t, 0, sizeof *t);
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static int csv_cell(cs_buf *b, const char *s, char sep, int safe)
{
    int rc = CS_OK;
    int quote = 0, neutralise = 0;

    if (safe && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
        char *end;
        strtod(s, &end);
        neutralise = *end != '\0' || s[0] == '=' || s[0] == '@';
    }
    if (sep == '\t') {
        if (neutralise)
            rc = cs_buf_putc(b, '\'');
        for (; *s && rc == CS_OK; s++)
            rc = cs_buf_putc(b, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
        return rc;
    }
    /* The quote mark goes inside the quotes: '"=a,b" is not RFC 4180
     * (and splits the cell in two), "'=a,b" is. */
    quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        rc = cs_buf_putc(b, '"');
    if (neutralise)
        rc = rc ? rc : cs_buf_putc(b, '\'');
    for (; *s && rc == CS_OK; s++) {
        if (*s == '"')
            rc = cs_buf_putc(b, '"');
        rc = rc ? rc : cs_buf_putc(b, *s);
    }
    if (quote)
        rc = rc ? rc : cs_buf_putc(b, '"');
    return rc;
}

/* The Markdown text of the byte at p (p[1] is looked at): data (an
 * activity, a --by value, a file name) must not become markup. '|' would
 * end a table cell, '<' before a letter, '/', '!' or '?' would start raw
 * HTML or an autolink that a renderer runs, '&' before a letter or '#'
 * an entity, '`' a code span and '\\' an escape. NULL: the byte as it is
 * ("<0.001" stays as it is). */
static const char *md_escape(const char *p)
{
    unsigned char n = (unsigned char)p[1];
    int letter = (n | 0x20) >= 'a' && (n | 0x20) <= 'z';   /* ASCII */

    switch (*p) {
    case '|': return "\\|";
    case '\\': return "\\\\";
    case '`': return "\\`";
    case '<':
        return letter || n == '/' || n == '!' || n == '?' ? "&lt;" : NULL;
    case '&':
        return letter || n == '#' ? "&amp;" : NULL;
    default: return NULL;
    }
}

size_t cs_md_extra(const char *s, size_t n)
{
    size_t extra = 0;

    for (size_t i = 0; i < n; i++) {
        const char *e = md_escape(s + i);
        extra += e ? strlen(e) - 1 : 0;
    }
    return extra;
}

int cs_md_append(cs_buf *b, const char *s, size_t n)
{
    int rc = CS_OK;

    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        const char *e = md_escape(s + i);
        rc = e ? cs_buf_puts(b, e) : cs_buf_putc(b, s[i]);
    }
    return rc;
}

int cs_table_render(const cs_table *t, int format, int safe_csv, cs_buf *b)
{
    size_t *w = NULL;
    int rc = CS_OK;

    if (t->code)
        return cs_buf_fail(b, t->code);

    if (format == CS_FMT_CSV || format == CS_FMT_TSV) {
        char sep = format == CS_FMT_CSV ? ',' : '\t';
        for (size_t i = 0; i <= t->nrows && rc == CS_OK; i++) {
            for (size_t j = 0; j < t->ncols && rc == CS_OK; j++) {
                if (j)
                    rc = cs_buf_putc(b, sep);
                rc = rc ? rc : csv_cell(b, t->cells[i * t->ncols + j], sep,
                                        safe_csv && i > 0);
            }
            rc = rc ? rc : cs_buf_putc(b, '\n');
        }
        return rc;
    }
    if (!(w = calloc(t->ncols, sizeof *w)))
        return cs_buf_fail(b, CS_ENOMEM);
    for (size_t i = 0; i <= t->nrows; i++)
        for (size_t j = 0; j < t->ncols; j++) {
            size_t n = width(t->cells[i * t->ncols + j]);
            if (format == CS_FMT_MD)
                n += cs_md_extra(t->cells[i * t->ncols + j],
                                 strlen(t->cells[i * t->ncols + j]));
            w[j] = n > w[j] ? n : w[j];
        }
    for (size_t i = 0; i <= t->nrows && rc == CS_OK; i++) {
        if (format == CS_FMT_MD)
            rc = cs_buf_append(b, "| ", 2);
        for (size_t j = 0; j < t->ncols && rc == CS_OK; j++) {
            const char *s = t->cells[i * t->ncols + j];
            size_t pad = w[j] - width(s);
            int right = t->numeric[j] && i > 0;
            if (format == CS_FMT_MD)
                pad -= cs_md_extra(s, strlen(s));
            if (j && format == CS_FMT_PRETTY)
                rc = cs_buf_append(b, "  ", 2);
            if (right)
                for (size_t k = 0; k < pad && rc == CS_OK; k++)
                    rc = cs_buf_putc(b, ' ');
            if (format == CS_FMT_MD)
                rc = cs_md_append(b, s, strlen(s));
            else
                rc = cs_buf_puts(b, s);
            /* No trailing blanks at the end of a pretty line. */
            if (!right && (format == CS_FMT_MD || j + 1 < t->ncols))
                for (size_t k = 0; k < pad && rc == CS_OK; k++)
                    rc = cs_buf_putc(b, ' ');
            if (format == CS_FMT_MD)
                rc = rc ? rc : cs_buf_append(b, " |", 2);
            if (format == CS_FMT_MD && j + 1 < t->ncols)
                rc = rc ? rc : cs_buf_putc(b, ' ');
        }
        /* No trailing blanks (an empty last cell leaves its separator). */
        while (format == CS_FMT_PRETTY && b->len && b->ptr[b->len - 1] == ' ')
            b->len--;
        rc = rc ? rc : cs_buf_putc(b, '\n');
        if (i == 0 && format == CS_FMT_MD) {
            rc = rc ? rc : cs_buf_putc(b, '|');
            for (size_t j = 0; j < t->ncols && rc == CS_OK; j++) {
                rc = cs_buf_putc(b, t->numeric[j] ? '-' : ':');
                for (size_t k = 0; k < w[j] && rc == CS_OK; k++)
                    rc = cs_buf_putc(b, '-');
                rc = rc ? rc : cs_buf_append(b, t->numeric[j] ? ":|" : "-|", 2);
            }
            rc = rc ? rc : cs_buf_putc(b, '\n');
        }
    }
    free(w);
    return rc;
}

int cs_json_strn(cs_buf *b, const char *s, size_t n)
{
    int rc = cs_buf_putc(b, '"');
    for (size_t i = 0; i < n && rc == CS_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            rc = cs_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            rc = cs_buf_printf(b, "\\u%04x", c);
        else
            rc = cs_buf_putc(b, (char)c);
    }
    return rc ? rc : cs_buf_putc(b, '"');
}

int cs_json_str(cs_buf *b, const char *s)
{
    return cs_json_strn(b, s, strlen(s));
}

int cs_json_num(cs_buf *b, double v)
{
    char t[40];
    if (!isfinite(v))
        return cs_buf_append(b, "null", 4);
    cs_fmt_double(t, sizeof t, v);
    return cs_buf_append(b, t, strlen(t));
}

int cs_json_u64(cs_buf *b, uint64_t v)
{
    return cs_buf_printf(b, "%llu", (unsigned long long)v);
}

void cs_fmt_disp(char *dst, size_t cap, double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(dst, cap, "%s", isnan(v) ? "-" : v > 0 ? "inf" : "-inf");
        return;
    }
    cs_fmt_fixed(dst, cap, v, decimals);
}

void cs_fmt_p(char *dst, size_t cap, double p)
{
    if (!isfinite(p))
        snprintf(dst, cap, "-");
    else if (p < 0.001)
        snprintf(dst, cap, "<0.001");
    else
        snprintf(dst, cap, "%.3f", p);
}

void cs_fmt_ci(char *dst, size_t cap, double est, double lo, double hi,
               int decimals)
{
    char e[32], l[32], h[32];

    cs_fmt_disp(e, sizeof e, est, decimals);
    if (!isfinite(lo) && !isfinite(hi)) {
        snprintf(dst, cap, "%s", e);
        return;
    }
    cs_fmt_disp(l, sizeof l, lo, decimals);
    cs_fmt_disp(h, sizeof h, hi, decimals);
    snprintf(dst, cap, "%s (%s, %s)", e, l, h);
}

int cs_html_escape(cs_buf *b, const char *s)
{
    int rc = CS_OK;
    for (; *s && rc == CS_OK; s++) {
        switch (*s) {
        case '&': rc = cs_buf_append(b, "&amp;", 5); break;
        case '<': rc = cs_buf_append(b, "&lt;", 4); break;
        case '>': rc = cs_buf_append(b, "&gt;", 4); break;
        case '"': rc = cs_buf_append(b, "&quot;", 6); break;
        case '\'': rc = cs_buf_append(b, "&#39;", 5); break;
        default: rc = cs_buf_putc(b, *s);
        }
    }
    return rc;
}

/* ---- numbers and dates as text ---------------------------------------- */

/* The slow, obviously right way: the shortest of %.15g, %.16g, %.17g that
 * reads back the same. */
static int fmt_double_slow(char *dst, size_t cap, double v)
{
    int n = 0;

    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(dst, cap, "%.*g", prec, v);
        if (strtod(dst, NULL) == v)
            break;
    }
    return n;
}

/* The same text without printf for values printed in fixed notation:
 * round |v| * 10^k to prec digits in long double (64-bit mantissa, exact
 * powers of ten up to 10^27), insert the point, strip trailing zeros, and
 * keep the result only if it reads back as exactly v. tag writes eight
 * derived numbers a row; this was most of its time. */
int cs_fmt_double(char *dst, size_t cap, double v)
{
    static const long double p10[] = {
        1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L,
        1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
        1e20L, 1e21L
    };
    double a = fabs(v);
    char tmp[48];

    if (isnan(v))
        return snprintf(dst, cap, "%s", "");
    if (v == 0)
        return snprintf(dst, cap, "0");
    if (cap < 32 || !(a >= 1e-4 && a < 1e15))
        return fmt_double_slow(dst, cap, v);
    if (a == floor(a))
        return snprintf(dst, cap, "%lld", (long long)v);
    /* e = floor(log10(a)); a wrong guess only sends us to the slow path
     * through the digit-count check below. */
    int e = 0;
    if (a >= 1) {
        while (e < 14 && (long double)a >= p10[e + 1])
            e++;
    } else {
        e = -1;
        while (e > -5 && (long double)a * p10[-e] < 1)
            e--;
        if (e < -4)
            return fmt_double_slow(dst, cap, v);
    }
    for (int prec = 15; prec <= 17; prec++) {
        int shift = prec - 1 - e;          /* digits after the point */
        uint64_t m;
        char *q = tmp + sizeof tmp;
        size_t n;
        double back;

        if (shift < 0 || shift > 21)
            break;
        m = (uint64_t)llroundl((long double)a * p10[shift]);
        if (m >= (uint64_t)p10[prec] || m < (uint64_t)p10[prec - 1])
            break;                          /* rounded up to 10^prec */
        /* Digits right to left: the fraction (zeros stripped), the point,
         * the integer part. */
        int frac = shift, started = 0;
        *--q = '\0';
        while (frac > 0) {
            int dgt = (int)(m % 10);
            m /= 10;
            frac--;
            if (!started && dgt == 0)
                continue;
            started = 1;
            *--q = (char)('0' + dgt);
        }
        if (started)
            *--q = '.';
        do {
            *--q = (char)('0' + m % 10);
            m /= 10;
        } while (m);
        if (v < 0)
            *--q = '-';
        n = (size_t)(tmp + sizeof tmp - 1 - q);
        if (cs_parse_decimal((cs_str){ q, n }, &back) == 0 && back == v) {
            memcpy(dst, q, n + 1);
            return (int)n;
        }
    }
    return fmt_double_slow(dst, cap, v);
}

int cs_fmt_fixed(char *dst, size_t cap, double v, int decimals)
{
    int n;

    if (isnan(v))
        return snprintf(dst, cap, "%s", "");
    n = snprintf(dst, cap, "%.*f", decimals, v);
    /* "-0.00" only for a value that is below zero, not for -0 or the
     * rounding noise of a difference that is 0 (|v| under 1e-12): an
     * interval whose upper limit is -0.0016 does not reach 0, and says
     * so. */
    if (dst[0] == '-' && v > -1e-12) {
        int zero = 1;
        for (int i = 1; i < n; i++)
            if (dst[i] >= '1' && dst[i] <= '9')
                zero = 0;
        if (zero) {
            memmove(dst, dst + 1, (size_t)n);
            n--;
        }
    }
    return n;
}

void cs_fmt_plain(char *b, size_t cap, double x)
{
    int e, n, prec;
    /* The shortest of 15, 16 or 17 significant digits that reads back
     * as the same double, so that a printed rules file loads back to
     * the same rules and two different rules never share a
     * fingerprint (32.000000000000007 printed as 32 did both). Never
     * in exponent form: the parser takes plain decimals only (1e-05
     * did not load back). Tiny values get many zeros, hence the
     * callers' buffer size. */
    for (prec = 15; prec < 17; prec++) {
        snprintf(b, cap, "%.*g", prec, x);
        if (strtod(b, NULL) == x)
            break;
    }
    snprintf(b, cap, "%.*g", prec, x);
    if (!strchr(b, 'e'))
        return;
    e = atoi(strchr(b, 'e') + 1);
    n = snprintf(b, cap, "%.*f", e < 0 ? prec - 1 - e : 0, x);
    while (n > 1 && strchr(b, '.') && (b[n - 1] == '0' || b[n - 1] == '.'))
        b[--n] = '\0';
}

int cs_fmt_date(char *dst, size_t cap, int32_t days)
{
    int y, m, d;
    cs_civil_from_days(days, &y, &m, &d);
    return snprintf(dst, cap, "%04d-%02d-%02d", y, m, d);
}
