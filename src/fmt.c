/* Output helpers: one table type renders to every text format, so a
 * report is built once and every format shows the same numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/fmt.h>
#include <crampstat/schema.h>

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
    if (!(t->numeric = calloc(ncols, 1)))
        return CS_ENOMEM;
    t->nrows = (size_t)-1;  /* the header is row 0 */
    return cs_table_add(t, header);
}

int cs_table_add(cs_table *t, const char *const *cells)
{
    size_t row = t->nrows + 1;

    if ((row + 1) * t->ncols > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16 * t->ncols;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c)
            return CS_ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    for (size_t j = 0; j < t->ncols; j++) {
        const char *s = cells[j] ? cells[j] : "";
        if (!(t->cells[row * t->ncols + j] = dup(s)))
            return CS_ENOMEM;
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

int cs_table_render(const cs_table *t, int format, int safe_csv, cs_buf *b)
{
    size_t *w = NULL;
    int rc = CS_OK;

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
        return CS_ENOMEM;
    for (size_t i = 0; i <= t->nrows; i++)
        for (size_t j = 0; j < t->ncols; j++) {
            size_t n = width(t->cells[i * t->ncols + j]);
            if (format == CS_FMT_MD)
                for (const char *p = t->cells[i * t->ncols + j]; *p; p++)
                    n += *p == '|';
            w[j] = n > w[j] ? n : w[j];
        }
    for (size_t i = 0; i <= t->nrows && rc == CS_OK; i++) {
        if (format == CS_FMT_MD)
            rc = cs_buf_append(b, "| ", 2);
        for (size_t j = 0; j < t->ncols && rc == CS_OK; j++) {
            const char *s = t->cells[i * t->ncols + j];
            size_t pad = w[j] - width(s);
            int right = t->numeric[j] && i > 0;
            if (format == CS_FMT_MD) {
                for (const char *p = s; *p; p++)
                    pad -= *p == '|';
            }
            if (j && format == CS_FMT_PRETTY)
                rc = cs_buf_append(b, "  ", 2);
            if (right)
                for (size_t k = 0; k < pad && rc == CS_OK; k++)
                    rc = cs_buf_putc(b, ' ');
            for (const char *p = s; *p && rc == CS_OK; p++) {
                if (format == CS_FMT_MD && *p == '|')
                    rc = cs_buf_putc(b, '\\');
                rc = rc ? rc : cs_buf_putc(b, *p);
            }
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
