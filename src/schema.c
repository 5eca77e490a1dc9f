/* The data contract, column by column. Every check writes a reason a
 * person understands ("duration_min: 1441 is above 1440"); the canonical
 * form is written from the validated text itself (numbers are normalised
 * textually, never printed back from a double), so ingest loses nothing. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/schema.h>
#include "internal.h"

static const char *const ex_names[CS_EX_NCOLS] = {
    "participant_id", "session_id", "start_time", "activity", "duration_min",
    "intensity_rpe", "temp_c", "humidity_pct", "fluid_ml", "warmup_min",
    "stretched", "cramp", "cramp_muscle"
};
static const unsigned char ex_required[CS_EX_NCOLS] = {
    1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0
};
static const char *const sv_names[CS_SV_NCOLS] = {
    "participant_id", "survey_date", "sex", "age_years", "height_ft",
    "height_in", "weight_lb", "activity_level", "conditioning",
    "seasonal_sport", "stretch_routine", "conditions", "calorie_goal",
    "calcium_mg", "potassium_mg"
};
static const unsigned char sv_required[CS_SV_NCOLS] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0
};
static const char *const muscle_names[CS_MUSCLE_N] = {
    "hamstring", "calf", "quadriceps", "foot", "other"
};

#define MAX_CONTRACT 16

struct cs_schema {
    int kind;
    size_t ncols;           /* fields in the header */
    int ncontract;          /* contract columns of this kind */
    long idx[MAX_CONTRACT]; /* header index of each contract column, -1 */
    size_t *extra;          /* header indexes of the other columns */
    size_t nextra;
    cs_str *names;          /* trimmed header names */
    char *name_bytes;
    int canonical;
    int fast;               /* every contract column present: fast path on */
    int ordered;            /* contract columns first, in contract order */
    int fixed;              /* ordered exercise columns: fixed_exercise */
    /* The names the fast path matches and their lengths, by enum
     * cs_fast_enum; the calorie goals' texts likewise. */
    const char *name[3][8];
    unsigned char name_len[3][8];
    const char *goal[CS_GOAL_N];
    unsigned char goal_len[CS_GOAL_N];
    /* The survey's fast path: which activity level or conditioning (by
     * enum cs_fast_enum) and which goal text a text of this length and
     * first byte can be, index + 1 (0 none), at sv_key. */
    unsigned char sv_name_at[3][32];
    unsigned char sv_goal_at[64];
    const char *med[CS_MED_N];
    unsigned char med_len[CS_MED_N];
};

enum { FAST_MUSCLE, FAST_ACTIVITY, FAST_CONDITIONING };
_Static_assert(CS_MUSCLE_N <= 8 && CS_ACT_N <= 8 && CS_COND_N <= 8,
               "name_len holds eight names of each kind");

const char *cs_exercise_column(int col)
{
    return col >= 0 && col < CS_EX_NCOLS ? ex_names[col] : NULL;
}

const char *cs_survey_column(int col)
{
    return col >= 0 && col < CS_SV_NCOLS ? sv_names[col] : NULL;
}

const char *cs_muscle_name(int m)
{
    return m >= 0 && m < CS_MUSCLE_N ? muscle_names[m] : NULL;
}

static const char *contract_name(const cs_schema *s, int col)
{
    return s->kind == CS_SCHEMA_EXERCISE ? ex_names[col] : sv_names[col];
}

static int contract_required(const cs_schema *s, int col)
{
    return s->kind == CS_SCHEMA_EXERCISE ? ex_required[col] : sv_required[col];
}

/* Where the survey's fast path looks a name or a goal text up: its
 * length plus its first byte, in mask + 1 slots. */
static inline unsigned sv_key(size_t len, const char *p, unsigned mask)
{
    return (unsigned)(len + (unsigned char)p[0]) & mask;
}

/* The lookups of sv_key. The names of each kind and the goal texts all
 * have keys of their own; should two share one, the first keeps it and
 * the other's rows go to the checks, which accept them as ever. */
static void sv_keys(cs_schema *s)
{
    for (int k = FAST_ACTIVITY; k <= FAST_CONDITIONING; k++)
        for (int i = 0; i < 8 && s->name[k][i]; i++) {
            unsigned char *at = &s->sv_name_at[k][sv_key(s->name_len[k][i],
                                                         s->name[k][i], 31)];
            *at = *at ? *at : (unsigned char)(i + 1);
        }
    for (int i = 0; i < CS_GOAL_N; i++) {
        unsigned char *at = &s->sv_goal_at[sv_key(s->goal_len[i], s->goal[i],
                                                  63)];
        *at = *at ? *at : (unsigned char)(i + 1);
    }
}

int cs_schema_create(cs_schema **out, int kind, const char *src,
                     const cs_record *h, cs_error *err)
{
    cs_schema *s;
    size_t total = 0, off = 0;

    *out = NULL;
    if (h->nfields == 0 || (h->nfields == 1 && cs_str_trim(h->fields[0]).len == 0))
        return cs_error_at(err, CS_EPARSE, (cs_pos){ src, h->line, 1 },
                           "empty header");
    if (!(s = calloc(1, sizeof *s)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (kind == CS_SCHEMA_AUTO) {
        kind = CS_SCHEMA_ANY;
        for (size_t i = 0; i < h->nfields; i++) {
            cs_str t = cs_str_trim(h->fields[i]);
            if (cs_str_ieq(t, "session_id"))
                kind = CS_SCHEMA_EXERCISE;
            else if (cs_str_ieq(t, "survey_date") && kind == CS_SCHEMA_ANY)
                kind = CS_SCHEMA_SURVEY;
        }
    }
    s->kind = kind;
    s->ncols = h->nfields;
    s->ncontract = kind == CS_SCHEMA_EXERCISE ? CS_EX_NCOLS
                 : kind == CS_SCHEMA_SURVEY ? CS_SV_NCOLS : 0;
    for (size_t i = 0; i < h->nfields; i++)
        total += h->fields[i].len + 1;
    s->names = calloc(h->nfields, sizeof *s->names);
    s->extra = calloc(h->nfields, sizeof *s->extra);
    s->name_bytes = malloc(total + 1);
    if (!s->names || !s->extra || !s->name_bytes) {
        cs_schema_free(s);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < h->nfields; i++) {
        cs_str t = cs_str_trim(h->fields[i]);
        memcpy(s->name_bytes + off, t.ptr, t.len);
        s->name_bytes[off + t.len] = '\0';
        s->names[i] = (cs_str){ s->name_bytes + off, t.len };
        off += t.len + 1;
    }
    for (int c = 0; c < MAX_CONTRACT; c++)
        s->idx[c] = -1;
    for (size_t i = 0; i < h->nfields; i++) {
        int found = -1;
        for (int c = 0; c < s->ncontract; c++)
            if (cs_str_ieq(s->names[i], contract_name(s, c)))
                found = c;
        if (found < 0) {
            s->extra[s->nextra++] = i;
            continue;
        }
        if (s->idx[found] >= 0) {
            cs_error_at(err, CS_EPARSE, (cs_pos){ src, h->line, i + 1 },
                        "column \"%s\" appears twice in the header "
                        "(columns %ld and %zu)", contract_name(s, found),
                        s->idx[found] + 1, i + 1);
            cs_schema_free(s);
            return err->code;
        }
        s->idx[found] = (long)i;
    }
    for (int c = 0; c < s->ncontract; c++)
        if (s->idx[c] < 0 && contract_required(s, c)) {
            cs_error_at(err, CS_EPARSE, (cs_pos){ src, h->line, 0 },
                        "required column \"%s\" is missing from the header",
                        contract_name(s, c));
            cs_schema_free(s);
            return err->code;
        }
    /* Canonical means byte for byte what ingest writes: the order alone
     * is not enough ("Cramp" or " cramp" is rewritten as "cramp"). */
    s->canonical = s->ncontract > 0;
    for (int c = 0; c < s->ncontract; c++)
        if (s->idx[c] != c || !cs_str_eq(h->fields[c], contract_name(s, c)))
            s->canonical = 0;
    for (int i = 0; i < CS_MUSCLE_N; i++)
        s->name[FAST_MUSCLE][i] = muscle_names[i];
    for (int i = 0; i < CS_ACT_N; i++)
        s->name[FAST_ACTIVITY][i] = cs_activity_name(i);
    for (int i = 0; i < CS_COND_N; i++)
        s->name[FAST_CONDITIONING][i] = cs_conditioning_name(i);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 8; i++)
            s->name_len[k][i] = s->name[k][i]
                ? (unsigned char)strlen(s->name[k][i]) : 0;
    for (int i = 0; i < CS_GOAL_N; i++) {
        s->goal[i] = cs_goal_text(i);
        s->goal_len[i] = (unsigned char)strlen(s->goal[i]);
    }
    sv_keys(s);
    for (int i = 0; i < CS_MED_N; i++) {
        s->med[i] = cs_medical_name(i);
        s->med_len[i] = (unsigned char)strlen(s->med[i]);
    }
    s->fast = s->ordered = s->ncontract > 0;
    for (int c = 0; c < s->ncontract; c++) {
        s->fast &= s->idx[c] >= 0;
        s->ordered &= s->idx[c] == c;
    }
    s->fixed = s->ordered && kind == CS_SCHEMA_EXERCISE;
    *out = s;
    return CS_OK;
}

void cs_schema_free(cs_schema *s)
{
    if (!s)
        return;
    free(s->names);
    free(s->extra);
    free(s->name_bytes);
    free(s);
}

int cs_schema_kind(const cs_schema *s) { return s->kind; }
size_t cs_schema_ncols(const cs_schema *s) { return s->ncols; }
cs_str cs_schema_header(const cs_schema *s, size_t i) { return s->names[i]; }
long cs_schema_index(const cs_schema *s, int col) { return s->idx[col]; }
int cs_schema_is_canonical(const cs_schema *s) { return s->canonical; }
size_t cs_schema_n_extra(const cs_schema *s) { return s->nextra; }
cs_str cs_schema_extra_name(const cs_schema *s, size_t i)
{
    return s->names[s->extra[i]];
}
size_t cs_schema_extra_index(const cs_schema *s, size_t i) { return s->extra[i]; }

/* ---- rejects ------------------------------------------------------ */

static int valid_utf8(cs_str v);

/* Quote a value for a reason: at most 40 bytes, control characters
 * escaped (C0 and DEL as \xNN, C1 as \u00NN). The reason goes into the
 * reject log, which must stay valid UTF-8: a value that is not UTF-8 has
 * all its bytes above 0x7f escaped too, and the cut at 40 bytes never
 * splits a character. A cut value ends in "...". */
static const char *show(cs_str v, char *buf, size_t cap)
{
    size_t n = 0, i = 0, lim = v.len > 40 ? 40 : v.len;
    int utf8 = valid_utf8(v);

    if (utf8)
        while (lim < v.len && lim > 0 &&
               ((unsigned char)v.ptr[lim] & 0xc0) == 0x80)
            lim--;
    buf[n++] = '"';
    /* Room for the longest escape, "...", the quote and the NUL. */
    for (; i < lim && n + 11 <= cap; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (utf8 && c == 0xc2 && i + 1 < lim &&
            (unsigned char)v.ptr[i + 1] < 0xa0) {
            n += (size_t)snprintf(buf + n, cap - n, "\\u%04x",
                                  (unsigned char)v.ptr[i + 1]);
            i++;
        } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    if (i < v.len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

static int reject(cs_reject *rej, long col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(cs_reject *rej, long col, const char *fmt, ...)
{
    va_list ap;
    rej->col = col;
    va_start(ap, fmt);
    vsnprintf(rej->reason, sizeof rej->reason, fmt, ap);
    va_end(ap);
    return 0;
}

/* ---- field checks: each returns 1 ok, 0 rejected ------------------ */

typedef struct ctx {
    const cs_schema *s;
    const cs_record *rec;
    cs_reject *rej;
    const char *const *names;
} ctx;

static cs_str field(const ctx *c, int col)
{
    long i = c->s->idx[col];
    if (i < 0)
        return (cs_str){ "", 0 };
    return cs_str_trim(c->rec->fields[i]);
}

static int valid_utf8(cs_str v)
{
    const unsigned char *p = (const unsigned char *)v.ptr;
    const unsigned char *end = p + v.len;

    while (p < end) {
        unsigned c = *p;
        size_t n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; c &= 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; c &= 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        if ((size_t)(end - p) <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (p[k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

static int check_text(const ctx *c, int col, cs_str *out)
{
    cs_str v = field(c, col);
    char b[64];

    if (v.len == 0)
        return reject(c->rej, c->s->idx[col], "%s: empty, but it is required",
                      c->names[col]);
    /* DATA.md: NA and N/A mean missing, which only optional columns may
     * be; a participant called "NA" would join every unknown one. */
    if (cs_is_missing(v))
        return reject(c->rej, c->s->idx[col],
                      "%s: %s means missing, but it is required",
                      c->names[col], show(v, b, sizeof b));
    if (v.len > 64)
        return reject(c->rej, c->s->idx[col], "%s: %zu bytes, longer than 64",
                      c->names[col], v.len);
    {
        /* Printable ASCII, the usual case, needs no UTF-8 decoding. */
        unsigned char any = 0;
        for (size_t i = 0; i < v.len; i++) {
            unsigned char ch = (unsigned char)v.ptr[i];
            if (ch < 0x20 || ch == 0x7f)
                return reject(c->rej, c->s->idx[col],
                              "%s: %s holds a control character (byte 0x%02x)",
                              c->names[col], show(v, b, sizeof b), ch);
            any |= ch;
        }
        if (any < 0x80) {
            *out = v;
            return 1;
        }
    }
    if (!valid_utf8(v))
        return reject(c->rej, c->s->idx[col], "%s: %s is not valid UTF-8",
                      c->names[col], show(v, b, sizeof b));
    /* C1 controls (U+0080-U+009F) are control characters too. In valid
     * UTF-8 they are 0xc2 followed by 0x80-0x9f. */
    for (size_t i = 0; i + 1 < v.len; i++)
        if ((unsigned char)v.ptr[i] == 0xc2 &&
            (unsigned char)v.ptr[i + 1] < 0xa0)
            return reject(c->rej, c->s->idx[col],
                          "%s: %s holds a control character (U+%04X)",
                          c->names[col], show(v, b, sizeof b),
                          (unsigned)(unsigned char)v.ptr[i + 1]);
    *out = v;
    return 1;
}

/* A value that parsed as a number, shown as written (at most 40 bytes). */
static const char *shownum(cs_str v, char *buf, size_t cap)
{
    size_t n = v.len > 40 ? 40 : v.len;
    if (n + 4 > cap)
        n = cap - 4;
    memcpy(buf, v.ptr, n);
    if (n < v.len) {
        memcpy(buf + n, "...", 3);  /* cut, as show() marks it */
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* A number in [lo, hi] (lo_open: lo itself excluded). NaN when optional
 * and missing. */
static int check_number(const ctx *c, int col, int required, double lo,
                        int lo_open, double hi, double *out)
{
    cs_str v = field(c, col);
    char b[64];
    double x;
    long at = c->s->idx[col];

    if (at < 0 || cs_is_missing(v)) {
        if (required)
            return reject(c->rej, at, "%s: missing, but it is required",
                          c->names[col]);
        *out = NAN;
        return 1;
    }
    if (cs_parse_decimal(v, &x) < 0)
        return reject(c->rej, at, "%s: %s is not a number (write plain "
                      "decimals like 12.5)", c->names[col],
                      show(v, b, sizeof b));
    /* The double decides, but a text a little past a closed bound rounds
     * to the bound itself (1440.0000000000001 is 1440.0): there the text
     * is compared with the bound exactly (the bounds are whole numbers).
     * An open bound stays the double's: a positive duration that rounds
     * to 0 cannot be computed with, and is refused as not above 0. */
    int below = lo_open ? !(x > lo) : !(x >= lo), above = x > hi;
    if (!lo_open && x == lo)
        below = cs_decimal_cmp_int(v, (int64_t)lo) < 0;
    if (x == hi)
        above = cs_decimal_cmp_int(v, (int64_t)hi) > 0;
    if (below)
        return reject(c->rej, at, lo_open ? "%s: %s is not above %g"
                                          : "%s: %s is below %g",
                      c->names[col], shownum(v, b, sizeof b), lo);
    if (above)
        return reject(c->rej, at, "%s: %s is above %g", c->names[col],
                      shownum(v, b, sizeof b), hi);
    *out = x;
    return 1;
}

static int check_int(const ctx *c, int col, int lo, int hi, int *out)
{
    cs_str v = field(c, col);
    char b[64];
    int64_t x;
    double d;
    long at = c->s->idx[col];

    if (cs_is_missing(v))
        return reject(c->rej, at, "%s: missing, but it is required",
                      c->names[col]);
    if (cs_parse_int(v, &x) < 0) {
        /* Say what is wrong with a number that is not an int64: its
         * fraction, its size, or only its spelling ("7.0"). */
        if (cs_parse_decimal(v, &d) < 0)
            return reject(c->rej, at, "%s: %s is not a whole number",
                          c->names[col], show(v, b, sizeof b));
        if (d != floor(d))
            return reject(c->rej, at, "%s: %s is not a whole number",
                          c->names[col], shownum(v, b, sizeof b));
        if (d < lo)
            return reject(c->rej, at, "%s: %s is below %d", c->names[col],
                          shownum(v, b, sizeof b), lo);
        if (d > hi)
            return reject(c->rej, at, "%s: %s is above %d", c->names[col],
                          shownum(v, b, sizeof b), hi);
        return reject(c->rej, at, "%s: %s is not written as a whole number "
                      "(no decimal point)", c->names[col],
                      shownum(v, b, sizeof b));
    }
    if (x < lo)
        return reject(c->rej, at, "%s: %s is below %d", c->names[col],
                      shownum(v, b, sizeof b), lo);
    if (x > hi)
        return reject(c->rej, at, "%s: %s is above %d", c->names[col],
                      shownum(v, b, sizeof b), hi);
    *out = (int)x;
    return 1;
}

static int check_bool(const ctx *c, int col, int required, int *out)
{
    cs_str v = field(c, col);
    char b[64];
    long at = c->s->idx[col];

    if (at < 0 || cs_is_missing(v)) {
        if (required)
            return reject(c->rej, at, "%s: missing, but it is required",
                          c->names[col]);
        *out = -1;
        return 1;
    }
    if (cs_parse_bool(v, out) < 0)
        return reject(c->rej, at, "%s: %s is not yes/no, y/n, true/false "
                      "or 1/0", c->names[col], show(v, b, sizeof b));
    return 1;
}

/* One of names[0..n); -1 when optional and missing. */
static int check_enum(const ctx *c, int col, int required,
                      const char *(*name)(int), int n, int *out)
{
    cs_str v = field(c, col);
    char b[64], list[256];
    size_t len = 0;
    long at = c->s->idx[col];

    if (at < 0 || cs_is_missing(v)) {
        if (required)
            return reject(c->rej, at, "%s: missing, but it is required",
                          c->names[col]);
        *out = -1;
        return 1;
    }
    for (int i = 0; i < n; i++)
        if (cs_str_ieq(v, name(i))) {
            *out = i;
            return 1;
        }
    list[0] = '\0';
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i ? ", " : "", name(i));
    return reject(c->rej, at, "%s: %s is not one of: %s", c->names[col],
                  show(v, b, sizeof b), list);
}

static int check_ragged(const cs_schema *s, const cs_record *rec,
                        cs_reject *rej)
{
    if (rec->nfields != s->ncols)
        return reject(rej, -1, "row has %zu field%s, the header has %zu",
                      rec->nfields, rec->nfields == 1 ? "" : "s", s->ncols);
    return 1;
}

int cs_schema_any(const cs_schema *s, const cs_record *rec, cs_reject *rej)
{
    return check_ragged(s, rec, rej);
}

/* Milli-minutes of a duration the checks accepted (a plain decimal, no
 * '-', at most 1440 as a double), from its text as cs_agg_mmin reads it:
 * the first three decimals, the fourth rounding (halves up), at least 1
 * for a positive duration. The double cannot give this: at the fourth
 * decimal its rounding is not the text's. */
static uint32_t text_mmin(cs_str v)
{
    const char *p = v.ptr, *end = v.ptr + v.len;
    uint32_t ip = 0, frac = 0;
    int nfrac = 0, up = 0, nonzero = 0;

    if (p < end && *p == '+')
        p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        /* 1440 at most, but the text may add digits a double rounds away
         * ("1440.00000000000000001"), never to the integer part. */
        if (ip <= 1440)
            ip = ip * 10 + (uint32_t)(*p - '0');
        nonzero |= *p != '0';
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, nfrac++) {
            if (nfrac < 3)
                frac = frac * 10 + (uint32_t)(*p - '0');
            else if (nfrac == 3)
                up = *p >= '5';
            nonzero |= *p != '0';
        }
    for (; nfrac < 3; nfrac++)
        frac *= 10;
    ip = ip * 1000 + frac + (uint32_t)up;
    return ip == 0 && nonzero ? 1 : ip;
}

/* ---- the fast path ---------------------------------------------------
 *
 * Almost every row of a large file is written the way ingest writes rows:
 * no blanks around values, numbers as plain decimals without redundant
 * zeros, yes/no, names in lower case, times as YYYY-MM-DDThh:mm:ssZ. For
 * such a field a single pass gives the value the checks above give, with
 * no trimming, no missing-token tests and no reason formatting. Any field
 * the fast path is unsure of, valid or not, sends the whole row to the
 * checks above, so every reject and its reason comes from one place and
 * the fast path only ever accepts. tests/test_schema.c compares the two on
 * generated and mutated rows. */

static const double fast_pow10[16] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
    1e13, 1e14, 1e15
};

/* Nonzero when a byte of w is a control character, DEL, from 0x80 up, a
 * quote or a comma. A borrow can mark a byte above one that is marked
 * rightly, never a word with none. */
static inline uint64_t text_bad(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
    return ((((w - ones * 0x20) & ~w) | w | ((w ^ (ones * 0x7f)) - ones) |
             ((w ^ (ones * '"')) - ones) | ((w ^ (ones * ',')) - ones)) &
            high);
}

/* Whether 1-64 bytes are printable ASCII without a quote or a comma. */
static inline int text_bytes(cs_str v)
{
    if (v.len >= 8) {
        /* Eight bytes at a time (the last word may overlap the one
         * before). */
        for (size_t i = 0;; i += 8) {
            uint64_t w;
            if (i > v.len - 8)
                i = v.len - 8;
            memcpy(&w, v.ptr + i, 8);
            if (text_bad(w))
                return 0;
            if (i == v.len - 8)
                break;
        }
    } else if (v.len >= 4) {
        /* Two words of four that may overlap, as one of eight: names
         * like "running" need no loop. */
        uint32_t a, b;
        memcpy(&a, v.ptr, 4);
        memcpy(&b, v.ptr + v.len - 4, 4);
        if (text_bad((uint64_t)a << 32 | b))
            return 0;
    } else {
        for (size_t i = 0; i < v.len; i++)
            if ((unsigned char)v.ptr[i] - 0x20u >= 0x5fu ||
                v.ptr[i] == '"' || v.ptr[i] == ',')
                return 0;
    }
    return 1;
}

/* Text that check_text accepts unchanged: 1-64 bytes of printable ASCII,
 * no blank at either end, not a missing-value token; and, so that it is
 * also written unchanged, no quote or comma (the reader's plain split
 * never leaves one, but a record may come from elsewhere). The bytes
 * need no look when the record is printable (cs_record.printable): the
 * reader's index has found every byte of the line in 0x20-0x7e, and the
 * split in place leaves no comma in a field and takes no line with a
 * quote. */
static inline int fast_text(cs_str v, int printable)
{
    if (v.len - 1 >= 64)  /* 0 wraps around */
        return 0;
    if (v.ptr[0] == ' ' || v.ptr[v.len - 1] == ' ')
        return 0;
    if (!printable && !text_bytes(v))
        return 0;
    if ((v.ptr[0] | 0x20) == 'n' && v.len <= 3 && cs_is_missing(v))
        return 0;
    return 1;
}

/* A decimal -?(0|[1-9][0-9]*)(.[0-9]+)? of at most 15 digits, not a
 * negative zero: m / 10^k with both exact, so the division rounds
 * correctly and equals cs_parse_decimal. *canon is cleared when the
 * fraction ends in 0 (ingest writes "12.0" as "12"). */
static inline int fast_decimal(cs_str v, double *out, int *canon)
{
    const char *p = v.ptr, *end = v.ptr + v.len, *ib, *fb;
    uint64_t m = 0;
    int neg = 0;
    size_t k = 0, nd;
    double x;

    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    ib = p;
    for (; p < end && (unsigned)(unsigned char)*p - '0' < 10u; p++)
        m = m * 10 + (unsigned)(*p - '0');
    if (p == ib || (*ib == '0' && p - ib > 1))
        return 0;
    nd = (size_t)(p - ib);
    if (p < end) {
        if (*p++ != '.')
            return 0;
        fb = p;
        for (; p < end && (unsigned)(unsigned char)*p - '0' < 10u; p++)
            m = m * 10 + (unsigned)(*p - '0');
        k = (size_t)(p - fb);
        if (p != end || k == 0)
            return 0;
        *canon &= p[-1] != '0';
        nd += k;
    }
    if (nd > 15 || (neg && m == 0))
        return 0;
    x = (double)m;
    if (k)
        x /= fast_pow10[k];
    *out = neg ? -x : x;
    return 1;
}

/* NA or N/A in any case: missing, and written back as empty. */
static inline int fast_na(cs_str v)
{
    return (v.len == 2 || v.len == 3) && (v.ptr[0] | 0x20) == 'n' &&
           cs_is_missing(v);
}

/* An optional number: empty is NaN (written back as empty). *canon is
 * cleared for a value that ingest would write differently (NA). */
static inline int fast_number(cs_str v, double lo, int lo_open, double hi,
                              double *out, int *canon)
{
    if (v.len == 0 || fast_na(v)) {
        *canon &= v.len == 0;
        *out = NAN;
        return 1;
    }
    if (!fast_decimal(v, out, canon))
        return 0;
    return (lo_open ? *out > lo : *out >= lo) && *out <= hi;
}

/* A required number. */
static inline int fast_required(cs_str v, double lo, int lo_open, double hi,
                                double *out, int *canon)
{
    return fast_decimal(v, out, canon) && (lo_open ? *out > lo : *out >= lo) &&
           *out <= hi;
}

/* A whole number in [lo, hi] written without sign or leading zero. */
static inline int fast_int(cs_str v, int lo, int hi, int *out)
{
    int x = 0;

    if (v.len == 0 || v.len > 4 || (v.ptr[0] == '0' && v.len > 1))
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned d = (unsigned char)v.ptr[i] - '0';
        if (d > 9)
            return 0;
        x = x * 10 + (int)d;
    }
    *out = x;
    return x >= lo && x <= hi;
}

/* yes, no, or (optional) empty or NA for -1. */
static inline int fast_bool(cs_str v, int optional, int *out, int *canon)
{
    if (v.len == 3 && memcmp(v.ptr, "yes", 3) == 0)
        *out = 1;
    else if (v.len == 2 && v.ptr[0] == 'n' && v.ptr[1] == 'o')
        *out = 0;
    else if (optional && (v.len == 0 || fast_na(v))) {
        *canon &= v.len == 0;
        *out = -1;
    } else
        return 0;
    return 1;
}

/* One of name[0..n) exactly (their lengths in len), or (optional) empty
 * or NA for -1. The names are 4 to 13 bytes: cs_bytes_eq compares them
 * without a call. */
static inline int fast_enum(cs_str v, int optional, const char *const *name,
                            const unsigned char *len, int n, int *out,
                            int *canon)
{
    if (v.len == 0 || fast_na(v)) {
        *canon &= v.len == 0;
        *out = -1;
        return optional;
    }
    for (int i = 0; i < n; i++) {
        if (len[i] == v.len && cs_bytes_eq(v.ptr, name[i], v.len)) {
            *out = i;
            return 1;
        }
    }
    return 0;
}

static inline int fast_2(const char *p, int *out)
{
    unsigned a = (unsigned char)p[0] - '0', b = (unsigned char)p[1] - '0';
    *out = (int)(a * 10 + b);
    return a < 10 && b < 10;
}

/* YYYY-MM-DD of a real day. */
static inline int fast_date(const char *p, cs_datetime *t)
{
    int hi, lo;

    if (!fast_2(p, &hi) || !fast_2(p + 2, &lo) || p[4] != '-' ||
        !fast_2(p + 5, &t->month) || p[7] != '-' || !fast_2(p + 8, &t->day))
        return 0;
    t->year = hi * 100 + lo;
    return t->month >= 1 && t->month <= 12 && t->day >= 1 &&
           t->day <= cs_days_in_month(t->year, t->month);
}

/* YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm]: the forms of cs_parse_datetime
 * with a 'T' and an upper-case 'Z'. put_datetime writes all of them back
 * unchanged except the one without seconds (-00:00 included: RFC 3339's
 * "offset unknown" is kept, the same instant as +00:00). */
static inline int fast_datetime(cs_str v, cs_datetime *t, int *canon)
{
    const char *p = v.ptr;
    size_t n = 16;

    if (v.len < 16 || p[10] != 'T' || p[13] != ':' || !fast_date(p, t) ||
        !fast_2(p + 11, &t->hour) || !fast_2(p + 14, &t->min) ||
        t->hour > 23 || t->min > 59)
        return 0;
    t->sec = 0;
    if (v.len >= 19 && p[16] == ':') {
        if (!fast_2(p + 17, &t->sec) || t->sec > 59)
            return 0;
        n = 19;
    } else {
        *canon = 0;
    }
    t->has_time = 1;
    t->has_tz = 0;
    t->tz_min = 0;
    if (v.len == n)
        return 1;
    t->has_tz = 1;
    if (v.len == n + 1)
        return p[n] == 'Z';
    if (v.len == n + 6 && (p[n] == '+' || p[n] == '-') && p[n + 3] == ':') {
        int hh, mm;
        if (!fast_2(p + n + 1, &hh) || !fast_2(p + n + 4, &mm) || hh > 23 ||
            mm > 59)
            return 0;
        t->tz_min = (hh * 60 + mm) * (p[n] == '-' ? -1 : 1);
        return 1;
    }
    return 0;
}


static int fast_exercise(const cs_schema *s, const cs_record *rec,
                         cs_session *o)
{
    const cs_str *f = rec->fields;
    const long *x = s->idx;
    int canon = s->ordered;

    if (!fast_text(f[x[CS_EX_PARTICIPANT_ID]], rec->printable) ||
        !fast_text(f[x[CS_EX_SESSION_ID]], rec->printable) ||
        !fast_datetime(f[x[CS_EX_START_TIME]], &o->start, &canon) ||
        !fast_text(f[x[CS_EX_ACTIVITY]], rec->printable) ||
        !fast_required(f[x[CS_EX_DURATION_MIN]], 0, 1, 1440, &o->duration_min,
                       &canon) ||
        !fast_int(f[x[CS_EX_INTENSITY_RPE]], 1, 10, &o->intensity_rpe) ||
        !fast_number(f[x[CS_EX_TEMP_C]], -40, 0, 60, &o->temp_c, &canon) ||
        !fast_number(f[x[CS_EX_HUMIDITY_PCT]], 0, 0, 100, &o->humidity_pct,
                     &canon) ||
        !fast_number(f[x[CS_EX_FLUID_ML]], 0, 0, 10000, &o->fluid_ml, &canon) ||
        !fast_number(f[x[CS_EX_WARMUP_MIN]], 0, 0, 240, &o->warmup_min,
                     &canon) ||
        !fast_bool(f[x[CS_EX_STRETCHED]], 1, &o->stretched, &canon) ||
        !fast_bool(f[x[CS_EX_CRAMP]], 0, &o->cramp, &canon) ||
        !fast_enum(f[x[CS_EX_CRAMP_MUSCLE]], 1, s->name[FAST_MUSCLE],
                   s->name_len[FAST_MUSCLE], CS_MUSCLE_N, &o->cramp_muscle,
                   &canon) ||
        (!o->cramp && o->cramp_muscle >= 0))
        return 0;
    o->participant_id = f[x[CS_EX_PARTICIPANT_ID]];
    o->session_id = f[x[CS_EX_SESSION_ID]];
    o->activity = f[x[CS_EX_ACTIVITY]];
    o->day = cs_days_from_civil(o->start.year, o->start.month, o->start.day);
    o->duration_mmin = text_mmin(f[x[CS_EX_DURATION_MIN]]);
    /* Split in place (reader.h): the fields' text is their CSV. */
    o->canon_cells = canon && rec->nfields > 0 && f[0].ptr == rec->raw.ptr
                     ? CS_EX_ALL_CANON : 0;
    return 1;
}

/* ---- the fixed layout ------------------------------------------------
 *
 * When the header puts the contract's columns first and in order (what
 * ingest writes, and so what join, tag and analyze's own reading see, and
 * what gen makes), column c is field c, and each column gets a parser of
 * its own with its bounds as constants. A number's range is checked on
 * its digits as an integer, m against bound * 10^k, which is exact, and
 * the double is made from the same m and k as fast_decimal makes it, so
 * the value is the same bit for bit; the duration's milli-minutes come
 * from those digits too. It accepts what fast_exercise accepts for this
 * layout and leaves everything else to the full checks, so that every
 * reject, its reason and its column still come from them alone
 * (tests/test_schema_fixed.c and tests/fuzz/fuzz_fixed.c compare the
 * two). */

/* The words below are read little-endian; elsewhere the SWAR reads are
 * skipped (CS_LITTLE_ENDIAN). */

static const uint64_t pow10u[20] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
    100000000u, 1000000000u, 10000000000u, 100000000000u,
    1000000000000u, 10000000000000u, 100000000000000u,
    1000000000000000u, 10000000000000000u, 100000000000000000u,
    1000000000000000000u, 10000000000000000000u
};

/* A decimal of the form fast_decimal accepts, as m / 10^k, m signed;
 * "-0" and its like are left to the checks, as there. At most 17 bytes
 * (15 digits, a sign and a point), so m cannot overflow while it is read
 * and the digit count is checked once at the end. The sign travels in m
 * (|m| < 10^15): the double is then one signed conversion, and a range
 * one unsigned comparison, with no branch on the sign (fixed_in). */
typedef struct fixed_dec {
    int64_t m;
    unsigned k;
} fixed_dec;

/* These readers are inlined at each of their uses: left to itself, gcc
 * -O3 called out-of-line copies, which kept each field's canonical flag
 * and the result in memory (86 instructions a row more in fixed_exercise
 * and its calls, by callgrind). fixed_optional and fixed_duration read
 * the short forms themselves and call fixed_decimal_long for the rest;
 * fixed_decimal (short forms, then the rest) serves fixed_required. */
static inline __attribute__((always_inline)) int
fixed_decimal_long(cs_str v, fixed_dec *d, unsigned *nc, unsigned bit);

static inline __attribute__((always_inline)) int
fixed_decimal(cs_str v, fixed_dec *d, unsigned *nc, unsigned bit)
{
    const unsigned char *p = (const unsigned char *)v.ptr;

    /* Most values are one to four digits, or a digit or two and one
     * decimal ("45", "2080", "12.2"): read those without a loop. */
    if (v.len - 1 < 4) {
        unsigned d0 = (unsigned)p[0] - '0', dl = (unsigned)p[v.len - 1] - '0';
        if (v.len == 1 && d0 < 10) {
            d->m = d0;
            d->k = 0;
            return 1;
        }
        if (d0 - 1 < 9 && dl < 10) {   /* no sign, no leading zero */
            unsigned d1 = (unsigned)p[1] - '0', d2;
            if (v.len == 2) {
                d->m = d0 * 10 + dl;
                d->k = 0;
                return 1;
            }
            d2 = (unsigned)p[2] - '0';
            if (v.len == 3 && d1 < 10) {
                d->m = d0 * 100 + d1 * 10 + dl;
                d->k = 0;
                return 1;
            }
            if (v.len == 4 && d1 < 10 && d2 < 10) {
                d->m = d0 * 1000 + d1 * 100 + d2 * 10 + dl;
                d->k = 0;
                return 1;
            }
            if ((v.len == 3 && p[1] == '.') ||
                (v.len == 4 && p[2] == '.' && d1 < 10)) {
                d->m = (v.len == 3 ? d0 : d0 * 10 + d1) * 10 + dl;
                d->k = 1;
                *nc |= dl == 0 ? bit : 0;
                return 1;
            }
        }
        /* "0.5", "-4", "9.", ...: the general reading. */
    }
    return fixed_decimal_long(v, d, nc, bit);
}

/* fixed_decimal's general reading, which reads any form it accepts,
 * short or not. */
static inline __attribute__((always_inline)) int
fixed_decimal_long(cs_str v, fixed_dec *d, unsigned *nc, unsigned bit)
{
    const unsigned char *p = (const unsigned char *)v.ptr;
    const unsigned char *end = p + v.len, *ib;
    uint64_t m = 0;
    unsigned c, k = 0;
    int neg;

    if (v.len - 1 >= 17)  /* 0 wraps around */
        return 0;
    neg = *p == '-';
    p += neg;
    ib = p;
    while (p < end && (c = (unsigned)*p - '0') < 10u) {
        m = m * 10 + c;
        p++;
    }
    if (p == ib || (*ib == '0' && p - ib > 1))
        return 0;
    if (p < end) {
        const unsigned char *fb;
        if (*p++ != '.')
            return 0;
        fb = p;
        while (p < end && (c = (unsigned)*p - '0') < 10u) {
            m = m * 10 + c;
            p++;
        }
        if (p != end || p == fb)
            return 0;
        k = (unsigned)(p - fb);
        *nc |= p[-1] == '0' ? bit : 0;
        if ((size_t)(p - ib) - 1 > 15)  /* digits and the point */
            return 0;
    } else if (p - ib > 15) {
        return 0;
    }
    if (neg && m == 0)
        return 0;
    d->m = neg ? -(int64_t)m : (int64_t)m;
    d->k = k;
    return 1;
}

/* The double fast_decimal gives for the same text: it converts |m| and
 * negates the quotient, which is the same double, as rounding to nearest
 * is symmetric (and |m| < 2^53 converts exactly). */
static inline double fixed_double(const fixed_dec *d)
{
    double x = (double)d->m;
    if (d->k)
        x /= fast_pow10[d->k];
    return x;
}

/* -neg_lo <= m / 10^k <= hi, for whole bounds: exactly, on the digits,
 * as one unsigned comparison of m + neg_lo 10^k against (neg_lo + hi)
 * 10^k; a value below -neg_lo wraps around far above it. (neg_lo + hi)
 * 10^k stays below 2^64 - 10^16 for neg_lo + hi <= 10000 and k <= 15,
 * and |m| < 10^15. */
static inline int fixed_in(const fixed_dec *d, uint64_t neg_lo, uint64_t hi)
{
    uint64_t p = pow10u[d->k];
    return (uint64_t)d->m + neg_lo * p <= (neg_lo + hi) * p;
}

/* An optional number in [-neg_lo, hi]: empty is NaN, NA and N/A too (but
 * ingest writes them as empty, so not verbatim). */
static inline __attribute__((always_inline)) int
fixed_optional(cs_str v, uint64_t neg_lo, uint64_t hi, double *out,
               unsigned *nc, unsigned bit)
{
    const unsigned char *p = (const unsigned char *)v.ptr;
    fixed_dec d;

    /* fixed_decimal's short forms, each branch with its double and its
     * range of its own: there m's bound is known, so that the range
     * check folds away where hi is above it, and k is a constant. */
    if (v.len - 1 < 4) {
        unsigned d0 = (unsigned)p[0] - '0', dl, d1, d2, m;
        if (v.len == 1) {
            if (d0 < 10) {
                *out = (double)d0;
                return d0 <= hi;
            }
        } else if (d0 - 1 < 9 &&   /* no sign, no leading zero */
                   (dl = (unsigned)p[v.len - 1] - '0') < 10) {
            d1 = (unsigned)p[1] - '0';
            if (v.len == 2) {
                m = d0 * 10 + dl;
                *out = (double)m;
                return hi >= 99 || m <= hi;
            }
            if (v.len == 3) {
                if (d1 < 10) {
                    m = d0 * 100 + d1 * 10 + dl;
                    *out = (double)m;
                    return hi >= 999 || m <= hi;
                }
                if (p[1] == '.') {
                    m = d0 * 10 + dl;
                    *out = (double)m / fast_pow10[1];
                    *nc |= dl == 0 ? bit : 0;
                    return hi >= 10 || m <= hi * 10;
                }
            } else if (d1 < 10) {
                d2 = (unsigned)p[2] - '0';
                if (d2 < 10) {
                    m = d0 * 1000 + d1 * 100 + d2 * 10 + dl;
                    *out = (double)m;
                    return hi >= 9999 || m <= hi;
                }
                if (p[2] == '.') {
                    m = (d0 * 10 + d1) * 10 + dl;
                    *out = (double)m / fast_pow10[1];
                    *nc |= dl == 0 ? bit : 0;
                    return hi >= 100 || m <= hi * 10;
                }
            }
        }
    }
    if (v.len == 0) {
        *out = NAN;
        return 1;
    }
    if (fixed_decimal_long(v, &d, nc, bit)) {
        *out = fixed_double(&d);
        return fixed_in(&d, neg_lo, hi);
    }
    if (fast_na(v)) {
        *nc |= bit;
        *out = NAN;
        return 1;
    }
    return 0;
}

/* A required number in [lo, hi], lo above 0 and hi whole: the upper bound
 * checked exactly on the digits, the lower on the double, as
 * fast_required does. */
static inline __attribute__((always_inline)) int
fixed_required(cs_str v, double lo, uint64_t hi, double *out, unsigned *nc,
               unsigned bit)
{
    fixed_dec d;

    if (!fixed_decimal(v, &d, nc, bit) || !fixed_in(&d, 0, hi))
        return 0;
    *out = fixed_double(&d);
    return *out >= lo;
}

/* Milli-minutes of m / 10^k minutes, as cs_agg_mmin rounds the same
 * text: the digits past the third decimal decide by the fourth alone
 * (halves up), and a positive duration is at least 1. */
static inline __attribute__((always_inline)) uint32_t
fixed_mmin(const fixed_dec *d)
{
    uint64_t q, m = (uint64_t)d->m;   /* a duration is positive */

    if (d->k <= 3) {
        q = m * pow10u[3 - d->k];
    } else {
        uint64_t t = m / pow10u[d->k - 4];
        q = t / 10 + (t % 10 >= 5);
    }
    return q == 0 && m > 0 ? 1 : (uint32_t)q;
}

/* duration_min, required, in (0, 1440], and its milli-minutes: the
 * short forms as fixed_optional reads them, each with its range, double
 * and milli-minutes of its own (m at least 10 where the first digit is
 * not 0), the rest by the general reading: 1 <= m <= 1440 10^k, m - 1
 * wrapping around for 0 and below. */
static inline __attribute__((always_inline)) int
fixed_duration(cs_str v, cs_session *o, unsigned *nc, unsigned bit)
{
    const unsigned char *p = (const unsigned char *)v.ptr;
    fixed_dec d;

    if (v.len - 1 < 4) {
        unsigned d0 = (unsigned)p[0] - '0', dl, d1, d2, m;
        if (v.len == 1) {
            if (d0 - 1 < 9) {
                o->duration_min = (double)d0;
                o->duration_mmin = d0 * 1000;
                return 1;
            }
        } else if (d0 - 1 < 9 &&   /* no sign, no leading zero */
                   (dl = (unsigned)p[v.len - 1] - '0') < 10) {
            d1 = (unsigned)p[1] - '0';
            if (v.len == 2) {
                m = d0 * 10 + dl;
                o->duration_min = (double)m;
                o->duration_mmin = m * 1000;
                return 1;
            }
            if (v.len == 3) {
                if (d1 < 10) {
                    m = d0 * 100 + d1 * 10 + dl;
                    o->duration_min = (double)m;
                    o->duration_mmin = m * 1000;
                    return 1;
                }
                if (p[1] == '.') {
                    m = d0 * 10 + dl;
                    o->duration_min = (double)m / fast_pow10[1];
                    o->duration_mmin = m * 100;
                    *nc |= dl == 0 ? bit : 0;
                    return 1;
                }
            } else if (d1 < 10) {
                d2 = (unsigned)p[2] - '0';
                if (d2 < 10) {
                    m = d0 * 1000 + d1 * 100 + d2 * 10 + dl;
                    o->duration_min = (double)m;
                    o->duration_mmin = m * 1000;
                    return m <= 1440;
                }
                if (p[2] == '.') {
                    m = (d0 * 10 + d1) * 10 + dl;
                    o->duration_min = (double)m / fast_pow10[1];
                    o->duration_mmin = m * 100;
                    *nc |= dl == 0 ? bit : 0;
                    return 1;
                }
            }
        }
    }
    if (!fixed_decimal_long(v, &d, nc, bit) ||
        (uint64_t)d.m - 1 >= 1440 * pow10u[d.k])
        return 0;
    o->duration_min = fixed_double(&d);
    o->duration_mmin = fixed_mmin(&d);
    return 1;
}

/* Days since 1970-01-01 as cs_days_from_civil counts them, for the years
 * fast_date reads (0 to 9999). The years 1970 to 2099 are looked up by
 * month (month_days_at), made by the compiler from the Gregorian rule
 * (leap days since 1970: the multiples of 4, less those of 100, plus
 * those of 400). Other years are counted: moved 400 years on, the year
 * before March is never negative, so no era is needed. */
#define DAYS_BEFORE(y) (365 * ((y) - 1970) + ((y) - 1969) / 4 - \
                        ((y) - 1901) / 100 + ((y) - 1601) / 400)
#define LEAP_YEAR(y) ((y) % 4 == 0 && ((y) % 100 != 0 || (y) % 400 == 0))
/* Each entry is the days before the month's first, times 32, plus the
 * days in the month; 0 for the months 0 and 13 to 15, which have no day.
 * One look-up then both checks a date and gives its day number
 * (fixed_datetime); fixed_days takes the days before the month. */
#define MONTH_BEFORE(m) ((m) <= 1 ? 0 : (m) == 2 ? 31 : (m) == 3 ? 59 : \
    (m) == 4 ? 90 : (m) == 5 ? 120 : (m) == 6 ? 151 : (m) == 7 ? 181 : \
    (m) == 8 ? 212 : (m) == 9 ? 243 : (m) == 10 ? 273 : (m) == 11 ? 304 : 334)
#define MONTH_DAYS(y, m) ((m) < 1 || (m) > 12 ? 0 : (m) == 2 ? 28 + LEAP_YEAR(y) \
    : (m) == 4 || (m) == 6 || (m) == 9 || (m) == 11 ? 30 : 31)
#define YM(y, m) (MONTH_DAYS(y, m) == 0 ? 0 : \
    (DAYS_BEFORE(y) + MONTH_BEFORE(m) + ((m) > 2 && LEAP_YEAR(y))) * 32 + \
    MONTH_DAYS(y, m))
#define YM1(y) { YM(y, 0), YM(y, 1), YM(y, 2), YM(y, 3), YM(y, 4), YM(y, 5), \
    YM(y, 6), YM(y, 7), YM(y, 8), YM(y, 9), YM(y, 10), YM(y, 11), \
    YM(y, 12), YM(y, 13), YM(y, 14), YM(y, 15) }
#define YEAR10(y) YM1(y), YM1(y + 1), YM1(y + 2), YM1(y + 3), YM1(y + 4), \
    YM1(y + 5), YM1(y + 6), YM1(y + 7), YM1(y + 8), YM1(y + 9)
static const int32_t month_days_at[130][16] = {
    YEAR10(1970), YEAR10(1980), YEAR10(1990), YEAR10(2000), YEAR10(2010),
    YEAR10(2020), YEAR10(2030), YEAR10(2040), YEAR10(2050), YEAR10(2060),
    YEAR10(2070), YEAR10(2080), YEAR10(2090)
};
#undef YM1
#undef YM
#undef MONTH_DAYS
#undef MONTH_BEFORE
#undef YEAR10
#undef LEAP_YEAR
#undef DAYS_BEFORE

static inline int32_t fixed_days(int y, int m, int d)
{
    unsigned yy, doy;

    if ((unsigned)(y - 1970) < 130u)
        return (month_days_at[y - 1970][m] >> 5) + d - 1;
    yy = (unsigned)(y + 400 - (m <= 2));
    doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
    return (int32_t)(yy * 365 + yy / 4 - yy / 100 + yy / 400 + doy) -
           (719468 + 146097);
}

/* YYYY-MM-DD in p's first 10 bytes: the first word checked and read as
 * fixed_datetime reads its first, the day's two digits, and the years
 * 1970 to 2099 looked up in month_days_at; anything else (other years,
 * a month or day out of range, a byte not a digit) is fast_date's to
 * read or refuse. */
int cs__date_day(const char *p, int32_t *day)
{
    const uint64_t hi = 0xf0f0f0f0f0f0f0f0u, lo = 0x0f0f0f0f0f0f0f0fu,
                   threes = 0x3030303030303030u, sixes = 0x0606060606060606u;
    const uint64_t a_sep = 0xff0000ff00000000u, a_sepv = 0x2d00002d00000000u,
                   a_dig = 0x00ffff00ffffffffu;       /* YYYY-MM- */
    cs_datetime t;

    if (CS_LITTLE_ENDIAN) {
        uint64_t a = cs__word_at(p), pa;
        unsigned d1 = (unsigned)(unsigned char)p[8] - '0',
                 d0 = (unsigned)(unsigned char)p[9] - '0', y, m, d;
        int32_t e;

        if ((a & (a_sep | (a_dig & hi))) == (a_sepv | (threes & a_dig)) &&
            !((((a & lo) + sixes) & a_dig) & hi) && d1 <= 9 && d0 <= 9) {
            a &= lo & a_dig;
            pa = a * 10 + (a >> 8);
            y = (unsigned)(pa & 0xff) * 100 + (unsigned)(pa >> 16 & 0xff);
            m = (unsigned)(pa >> 40 & 0xff);
            d = d1 * 10 + d0;
            if (y - 1970 < 130 && m <= 15 &&
                d - 1 < (unsigned)((e = month_days_at[y - 1970][m]) & 31)) {
                *day = (e >> 5) + (int32_t)d - 1;
                return 0;
            }
        }
    }
    if (!fast_date(p, &t))
        return -1;
    *day = fixed_days(t.year, t.month, t.day);
    return 0;
}

/* fast_datetime for fixed_datetime's other forms and years, out of
 * line. */
static __attribute__((noinline)) int
slow_datetime(cs_str v, cs_datetime *t, int32_t *day, unsigned *nc,
              unsigned bit)
{
    int canon = 1, ok = fast_datetime(v, t, &canon);
    *nc |= canon ? 0 : bit;
    if (ok)
        *day = fixed_days(t->year, t->month, t->day);
    return ok;
}

/* start_time and its day number. The form ingest writes,
 * YYYY-MM-DDThh:mm:ss and then Z, an offset or nothing, is read as three
 * words of eight bytes (YYYY-MM-, DDThh:mm and hh:mm:ss, the last two
 * overlapping), each XORed with its template, '0' where a digit goes and
 * the separator where one goes: a digit becomes its value and a right
 * separator 0. Every byte is then checked at once: a byte x below 0x80
 * plus 0x76 stays below 0x80 just when x is at most 9, plus 0x7f just
 * when x is 0, and with every x below 0x80 no sum carries into the next
 * byte (one at or above 0x80 fails by itself). Adjacent digits are paired
 * into two-digit numbers by one multiply, and the hour, minute and second
 * are checked together, each pair plus 128 - its bound setting its
 * byte's top bit when over. The years 1970 to 2099 take their month's
 * days and day number from month_days_at. Other forms and years go to
 * fast_datetime, which reads them one by one. */
static inline __attribute__((always_inline)) int
fixed_datetime(cs_str v, cs_datetime *t, int32_t *day, unsigned *nc,
               unsigned bit)
{
    /* Little-endian words: byte 0 is the first character. */
    const uint64_t a_tpl = 0x2d30302d30303030u,      /* YYYY-MM- */
                   a_add = 0x7f76767f76767676u,
                   b_tpl = 0x30303a3030543030u,      /* DDThh:mm */
                   c_tpl = 0x30303a30303a3030u,      /* hh:mm:ss */
                   bc_add = 0x76767f76767f7676u,
                   top = 0x8080808080808080u;
    const uint64_t c_over = (uint64_t)(128 - 24) | (uint64_t)(128 - 60) << 24 |
                            (uint64_t)(128 - 60) << 48,
                   c_top = 0x0080000080000080u;
    const char *p = v.ptr;
    uint64_t a, b, c, pa, pb, pc;
    unsigned y, m, d;
    int32_t e;
    int mm;

    if (!(v.len >= 19 && v.len <= 25) || !(CS_LITTLE_ENDIAN))
        return slow_datetime(v, t, day, nc, bit);
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, p + 11, 8);
    a ^= a_tpl;
    b ^= b_tpl;
    c ^= c_tpl;
    if ((((a + a_add) | a | (b + bc_add) | b | (c + bc_add) | c) & top))
        return slow_datetime(v, t, day, nc, bit);
    /* Byte i of a * 10 + (a >> 8) is 10 a[i] + a[i + 1], at most 99. */
    pa = a * 10 + (a >> 8);
    pb = b * 10 + (b >> 8);
    pc = c * 10 + (c >> 8);
    y = (unsigned)(pa & 0xff) * 100 + (unsigned)(pa >> 16 & 0xff);
    m = (unsigned)(pa >> 40 & 0xff);
    d = (unsigned)(pb & 0xff);
    if (y - 1970 >= 130 || m > 15 || ((pc + c_over) & c_top) ||
        d - 1 >= (unsigned)((e = month_days_at[y - 1970][m]) & 31))
        return slow_datetime(v, t, day, nc, bit);
    *day = (e >> 5) + (int32_t)d - 1;
    t->year = (int)y;
    t->month = (int)m;
    t->day = (int)d;
    t->hour = (int)(pc & 0xff);
    t->min = (int)(pc >> 24 & 0xff);
    t->sec = (int)(pc >> 48 & 0xff);
    t->has_time = 1;
    t->has_tz = v.len > 19;
    t->tz_min = 0;
    if (v.len == 19)
        return 1;
    if (v.len == 20)
        return p[19] == 'Z';
    if (v.len != 25 || (p[19] != '+' && p[19] != '-') || p[22] != ':' ||
        !fast_2(p + 20, &mm) || mm > 23)
        return 0;
    t->tz_min = mm * 60;
    if (!fast_2(p + 23, &mm) || mm > 59)
        return 0;
    t->tz_min = (t->tz_min + mm) * (p[19] == '-' ? -1 : 1);
    return 1;
}

/* The contract's other spellings of a boolean (TRUE and FALSE as R
 * writes them, y, n, 1, 0, any case): 1 with *out set, else 0. Out of
 * line: yes and no, which ingest writes, never come here. */
static __attribute__((noinline)) int other_bool(cs_str v, int *out)
{
    return cs_parse_bool(v, out) == 0;
}

/* yes, no, or (optional) empty or NA; the other spellings by
 * other_bool, marked as not written as ingest writes them. */
static inline __attribute__((always_inline)) int
fixed_bool(cs_str v, int optional, int *out, unsigned *nc, unsigned bit)
{
    /* "no" or "yes" without a branch on which: their lengths tell them
     * apart, and a session's answer is as likely one as the other, which
     * no branch predictor guesses. The first two bytes and the last are
     * compared (for "no" the last is the second), as one number of three
     * bytes where words are little-endian. */
    size_t k = v.len - 2;     /* 0 "no", 1 "yes"; anything else wraps */
#if CS_LITTLE_ENDIAN
    static const uint32_t yn[2] = { 'n' | 'o' << 8 | 'o' << 16,
                                    'y' | 'e' << 8 | 's' << 16 };
    uint16_t w2;
    if (k <= 1 && (memcpy(&w2, v.ptr, 2),
                   (w2 | (uint32_t)(unsigned char)v.ptr[v.len - 1] << 16) ==
                   yn[k])) {
        *out = (int)k;
        return 1;
    }
#else
    if (k <= 1 && (v.ptr[0] == "ny"[k]) & (v.ptr[1] == "oe"[k]) &
                  (v.ptr[v.len - 1] == "os"[k])) {
        *out = (int)k;
        return 1;
    }
#endif
    if (v.len == 0) {
        *out = -1;
        return optional;
    }
    if (v.len < 6 && other_bool(v, out)) {
        *nc |= bit;
        return 1;
    }
    if (optional && fast_na(v)) {
        *nc |= bit;
        *out = -1;
        return 1;
    }
    return 0;
}

/* cramp_muscle: empty or NA, or a name as ingest writes it. */
static inline __attribute__((always_inline)) int
fixed_muscle(cs_str v, int *out, unsigned *nc, unsigned bit)
{
    int m = -1;

    switch (v.len) {
    case 0:
        *out = -1;
        return 1;
    case 4:
        m = memcmp(v.ptr, "calf", 4) == 0 ? CS_MUSCLE_CALF
          : memcmp(v.ptr, "foot", 4) == 0 ? CS_MUSCLE_FOOT : -1;
        break;
    case 5:
        m = memcmp(v.ptr, "other", 5) == 0 ? CS_MUSCLE_OTHER : -1;
        break;
    case 9:
        m = memcmp(v.ptr, "hamstring", 9) == 0 ? CS_MUSCLE_HAMSTRING : -1;
        break;
    case 10:
        m = memcmp(v.ptr, "quadriceps", 10) == 0 ? CS_MUSCLE_QUADRICEPS : -1;
        break;
    }
    if (m >= 0) {
        *out = m;
        return 1;
    }
    if (fast_na(v)) {
        *nc |= bit;
        *out = -1;
        return 1;
    }
    return 0;
}

/* fast_text for the fixed layout's texts: a first byte other than a
 * blank or an 'n' or 'N' (which may start a missing-value token) and a
 * printable record settle it with one look-up; the rest is fast_text's. */
static const unsigned char text_first_unsure[256] = {
    [' '] = 1, ['n'] = 1, ['N'] = 1
};

static inline __attribute__((always_inline)) int
fixed_text(cs_str v, int printable)
{
    if (v.len - 1 < 64 && printable &&
        !text_first_unsure[(unsigned char)v.ptr[0]] && v.ptr[v.len - 1] != ' ')
        return 1;
    return fast_text(v, printable);
}

/* Inlined into cs_schema_exercise, which then saves registers and sets
 * up a frame once a row rather than twice; with it, its readers all need
 * always_inline, or gcc -O3 calls out-of-line copies of the booleans,
 * the muscle and the milli-minutes (13.7 instructions a row more in all,
 * by callgrind on join). */
static inline __attribute__((always_inline)) int
fixed_exercise(const cs_record *rec, cs_session *o)
{
    const cs_str *f = rec->fields;
    cs_str rpe;
    /* The bits of the fields that would be written otherwise: one mask
     * that each check sets a bit of, rather than a flag a field gathered
     * at the end. */
    unsigned nc = 0;

    if (!fixed_text(f[CS_EX_PARTICIPANT_ID], rec->printable) ||
        !fixed_text(f[CS_EX_SESSION_ID], rec->printable) ||
        !fixed_datetime(f[CS_EX_START_TIME], &o->start, &o->day, &nc,
                        1u << CS_EX_START_TIME) ||
        !fixed_text(f[CS_EX_ACTIVITY], rec->printable))
        return 0;
    if (!fixed_duration(f[CS_EX_DURATION_MIN], o, &nc,
                        1u << CS_EX_DURATION_MIN))
        return 0;
    /* intensity_rpe: 1 to 10, no sign or leading zero. */
    rpe = f[CS_EX_INTENSITY_RPE];
    if (rpe.len == 1 && rpe.ptr[0] >= '1' && rpe.ptr[0] <= '9')
        o->intensity_rpe = rpe.ptr[0] - '0';
    else if (rpe.len == 2 && rpe.ptr[0] == '1' && rpe.ptr[1] == '0')
        o->intensity_rpe = 10;
    else
        return 0;
    if (!fixed_optional(f[CS_EX_TEMP_C], 40, 60, &o->temp_c, &nc,
                        1u << CS_EX_TEMP_C) ||
        !fixed_optional(f[CS_EX_HUMIDITY_PCT], 0, 100, &o->humidity_pct,
                        &nc, 1u << CS_EX_HUMIDITY_PCT) ||
        !fixed_optional(f[CS_EX_FLUID_ML], 0, 10000, &o->fluid_ml, &nc,
                        1u << CS_EX_FLUID_ML) ||
        !fixed_optional(f[CS_EX_WARMUP_MIN], 0, 240, &o->warmup_min, &nc,
                        1u << CS_EX_WARMUP_MIN) ||
        !fixed_bool(f[CS_EX_STRETCHED], 1, &o->stretched, &nc,
                    1u << CS_EX_STRETCHED) ||
        !fixed_bool(f[CS_EX_CRAMP], 0, &o->cramp, &nc, 1u << CS_EX_CRAMP) ||
        !fixed_muscle(f[CS_EX_CRAMP_MUSCLE], &o->cramp_muscle, &nc,
                      1u << CS_EX_CRAMP_MUSCLE) ||
        (!o->cramp && o->cramp_muscle >= 0))
        return 0;
    o->participant_id = f[CS_EX_PARTICIPANT_ID];
    o->session_id = f[CS_EX_SESSION_ID];
    o->activity = f[CS_EX_ACTIVITY];
    /* Split in place (reader.h): the fields' text is their CSV. The ids,
     * the activity and rpe are canonical whenever they pass above. */
    o->canon_cells = f[0].ptr != rec->raw.ptr ? 0
                   : (uint16_t)(CS_EX_ALL_CANON & ~nc);
    return 1;
}

int cs_schema_exercise_fixed(const cs_schema *s, const cs_record *rec,
                             cs_session *o)
{
    return s->fixed && rec->nfields == s->ncols && fixed_exercise(rec, o);
}

/* cs_schema_exercise past the fixed layout's rows: the field count's
 * reject, the fast path of other layouts and the full checks. Out of line,
 * so that the accepted row's path saves no registers for them. */
static __attribute__((noinline)) int
exercise_rest(const cs_schema *s, const cs_record *rec, cs_session *o,
              cs_reject *rej)
{
    if (!check_ragged(s, rec, rej))
        return 0;
    if (!s->fixed && s->fast && fast_exercise(s, rec, o))
        return 1;
    return cs_schema_exercise_checked(s, rec, o, rej);
}

int cs_schema_exercise(const cs_schema *s, const cs_record *rec,
                       cs_session *o, cs_reject *rej)
{
    if (s->fixed && rec->nfields == s->ncols && fixed_exercise(rec, o))
        return 1;
    return exercise_rest(s, rec, o, rej);
}

int cs_schema_exercise_checked(const cs_schema *s, const cs_record *rec,
                               cs_session *o, cs_reject *rej)
{
    ctx c = { s, rec, rej, ex_names };
    const char *why;
    char b[64];
    cs_str v;

    o->canon_cells = 0;
    if (!check_ragged(s, rec, rej) ||
        !check_text(&c, CS_EX_PARTICIPANT_ID, &o->participant_id) ||
        !check_text(&c, CS_EX_SESSION_ID, &o->session_id))
        return 0;
    v = field(&c, CS_EX_START_TIME);
    if (cs_is_missing(v))
        return reject(rej, s->idx[CS_EX_START_TIME],
                      "start_time: missing, but it is required");
    if (cs_parse_datetime(v, &o->start, &why) < 0)
        return reject(rej, s->idx[CS_EX_START_TIME], "start_time: %s: %s",
                      show(v, b, sizeof b), why);
    o->day = cs_days_from_civil(o->start.year, o->start.month, o->start.day);
    if (!check_text(&c, CS_EX_ACTIVITY, &o->activity) ||
        !check_number(&c, CS_EX_DURATION_MIN, 1, 0, 1, 1440, &o->duration_min) ||
        !check_int(&c, CS_EX_INTENSITY_RPE, 1, 10, &o->intensity_rpe) ||
        !check_number(&c, CS_EX_TEMP_C, 0, -40, 0, 60, &o->temp_c) ||
        !check_number(&c, CS_EX_HUMIDITY_PCT, 0, 0, 0, 100, &o->humidity_pct) ||
        !check_number(&c, CS_EX_FLUID_ML, 0, 0, 0, 10000, &o->fluid_ml) ||
        !check_number(&c, CS_EX_WARMUP_MIN, 0, 0, 0, 240, &o->warmup_min) ||
        !check_bool(&c, CS_EX_STRETCHED, 0, &o->stretched) ||
        !check_bool(&c, CS_EX_CRAMP, 1, &o->cramp) ||
        !check_enum(&c, CS_EX_CRAMP_MUSCLE, 0, cs_muscle_name, CS_MUSCLE_N,
                    &o->cramp_muscle))
        return 0;
    if (!o->cramp && o->cramp_muscle >= 0)
        return reject(rej, s->idx[CS_EX_CRAMP_MUSCLE],
                      "cramp_muscle: \"%s\" is given but cramp is no",
                      muscle_names[o->cramp_muscle]);
    o->duration_mmin = text_mmin(field(&c, CS_EX_DURATION_MIN));
    return 1;
}

static int check_sex(const ctx *c, int *out)
{
    cs_str v = field(c, CS_SV_SEX);
    char b[64];

    if (cs_is_missing(v))
        return reject(c->rej, c->s->idx[CS_SV_SEX],
                      "sex: missing, but it is required");
    if (cs_str_ieq(v, "F") || cs_str_ieq(v, "female"))
        *out = CS_SEX_F;
    else if (cs_str_ieq(v, "M") || cs_str_ieq(v, "male"))
        *out = CS_SEX_M;
    else
        return reject(c->rej, c->s->idx[CS_SV_SEX],
                      "sex: %s is not F, M, female or male",
                      show(v, b, sizeof b));
    return 1;
}

static int check_conditions(const ctx *c, cs_wave *o)
{
    cs_str v = field(c, CS_SV_CONDITIONS);
    char b[64];
    long at = c->s->idx[CS_SV_CONDITIONS];
    const char *p, *end;

    o->conditions = 0;
    o->conditions_known = 1;
    if (at < 0 || cs_str_ieq(v, "NA") || cs_str_ieq(v, "N/A")) {
        /* An absent column is unknown too: nobody said "none". */
        o->conditions_known = 0;
        return 1;
    }
    p = v.ptr;
    end = v.ptr + v.len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        cs_str item = cs_str_trim((cs_str){ p, (size_t)((semi ? semi : end) - p) });
        int found = -1;
        if (item.len == 0 && !semi && p != v.ptr)
            break;  /* a trailing ';' */
        for (int m = 0; m < CS_MED_N; m++)
            if (cs_str_ieq(item, cs_medical_name(m)))
                found = m;
        if (found < 0)
            return reject(c->rej, at, "conditions: %s is not one of: "
                          "disc_injury, parkinsons, multiple_sclerosis, "
                          "cerebral_palsy, thyroid_disease, kidney_disease, "
                          "alcoholism, pregnancy (separate with ';')",
                          show(item, b, sizeof b));
        o->conditions |= 1u << found;
        if (!semi)
            break;
        p = semi + 1;
    }
    return 1;
}

static int check_goal(const ctx *c, cs_wave *o)
{
    cs_str v = field(c, CS_SV_CALORIE_GOAL);
    char b[64];
    long at = c->s->idx[CS_SV_CALORIE_GOAL];
    double x;

    if (cs_is_missing(v))
        return reject(c->rej, at, "calorie_goal: missing, but it is required");
    for (int i = 0; i < CS_GOAL_N; i++)
        if (cs_str_ieq(v, cs_goal_text(i))) {
            o->goal_lb_week = cs_goal_lb_week(i);
            return 1;
        }
    if (cs_parse_decimal(v, &x) == 0) {
        if (cs_goal_index(x) >= 0) {
            o->goal_lb_week = x == 0 ? 0 : x;
            return 1;
        }
        return reject(c->rej, at, "calorie_goal: %s lb/week is not one of "
                      "-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2",
                      shownum(v, b, sizeof b));
    }
    return reject(c->rej, at, "calorie_goal: %s is not one of: Gain 2 pounds "
                  "per week, Gain 1.5 pounds per week, Gain 1 pound per week, "
                  "Gain 0.5 pound per week, Maintain my current weight, Lose "
                  "0.5 pound per week, Lose 1 pound per week, Lose 1.5 pounds "
                  "per week, Lose 2 pounds per week (or the signed lb/week, "
                  "-2 to 2 in steps of 0.5)", show(v, b, sizeof b));
}

/* Whether the n bytes at a and b are the same, for n up to 32: names and
 * goal texts in loads of 8 bytes at both ends, without a call. */
static inline __attribute__((always_inline)) int
sv_eq(const char *a, const char *b, size_t n)
{
    uint64_t x[4], y[4];

    if (n <= 16)
        return cs_bytes_eq(a, b, n);
    if (n > 32)
        return memcmp(a, b, n) == 0;
    memcpy(&x[0], a, 8);
    memcpy(&x[1], a + 8, 8);
    memcpy(&x[2], a + n - 16, 8);
    memcpy(&x[3], a + n - 8, 8);
    memcpy(&y[0], b, 8);
    memcpy(&y[1], b + 8, 8);
    memcpy(&y[2], b + n - 16, 8);
    memcpy(&y[3], b + n - 8, 8);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
            (x[3] ^ y[3])) == 0;
}

/* A required enum of the survey, kind k (enum cs_fast_enum): one of its
 * names exactly, the one at its sv_key; empty, NA and any other text go
 * to the checks. */
static inline __attribute__((always_inline)) int
sv_enum(const cs_schema *s, int k, cs_str v, int *out)
{
    unsigned i;

    if (v.len == 0)
        return 0;
    i = s->sv_name_at[k][sv_key(v.len, v.ptr, 31)];
    if (!i-- || s->name_len[k][i] != v.len ||
        !sv_eq(v.ptr, s->name[k][i], v.len))
        return 0;
    *out = (int)i;
    return 1;
}

/* A whole number in [lo, hi], hi below 1000, without sign or leading
 * zero: fast_int's verdict for those bounds (a fourth digit is always
 * above hi). */
static inline __attribute__((always_inline)) int
sv_small(cs_str v, int lo, int hi, int *out)
{
    const unsigned char *p = (const unsigned char *)v.ptr;
    unsigned d0, d1, d2;

    if (v.len - 1 >= 3)     /* 0 wraps around */
        return 0;
    d0 = p[0] - (unsigned)'0';
    if (v.len == 1) {
        *out = (int)d0;
        return d0 < 10 && (int)d0 >= lo && (int)d0 <= hi;
    }
    d1 = p[1] - (unsigned)'0';
    if (v.len == 2) {
        *out = (int)(d0 * 10 + d1);
        return d0 - 1 < 9 && d1 < 10 && *out >= lo && *out <= hi;
    }
    d2 = p[2] - (unsigned)'0';
    *out = (int)(d0 * 100 + d1 * 10 + d2);
    return d0 - 1 < 9 && d1 < 10 && d2 < 10 && *out >= lo && *out <= hi;
}

/* conditions: empty, or names exactly as written back, ';' between; or
 * NA or N/A in any case (unknown: 2 % of the rows of a generated survey,
 * which the checks took at eight times the cost). */
static inline int fast_conditions(const cs_schema *s, cs_str v, cs_wave *o)
{
    const char *p = v.ptr, *end = v.ptr + v.len;

    o->conditions = 0;
    o->conditions_known = 1;
    if ((v.len == 2 || v.len == 3) && (p[0] | 0x20) == 'n' &&
        (cs_str_ieq(v, "NA") || cs_str_ieq(v, "N/A"))) {
        o->conditions_known = 0;
        return 1;
    }
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        size_t n = (size_t)((semi ? semi : end) - p);
        int found = -1;
        for (int m = 0; m < CS_MED_N && found < 0; m++)
            if (s->med_len[m] == n && sv_eq(p, s->med[m], n))
                found = m;
        if (found < 0)
            return 0;
        o->conditions |= 1u << found;
        if (!semi)
            return 1;
        p = semi + 1;
        if (p == end)
            return 0;  /* a trailing ';': the checks decide */
    }
    return 1;
}

/* calorie_goal: a tracker's text exactly (21 to 26 bytes), or the signed
 * lb/week (at most 4). */
static inline int fast_goal(const cs_schema *s, cs_str v, double *out)
{
    int canon = 1;
    unsigned i;

    if (v.len <= 16) {
        if (!fast_decimal(v, out, &canon))
            return 0;
        return cs_goal_index(*out) >= 0;  /* fast_decimal gives no -0 */
    }
    i = s->sv_goal_at[sv_key(v.len, v.ptr, 63)];
    if (!i-- || s->goal_len[i] != v.len || !sv_eq(v.ptr, s->goal[i], v.len))
        return 0;
    *out = cs_goal_lb_week((int)i);
    return 1;
}

/* The wave's small values, read as ints and checked against ranges that
 * fit them. */
static void set_small(cs_wave *o, int age, int ft, int in, int act, int cond,
                      int sport, int stretch)
{
    o->age_years = (int16_t)age;
    o->height_ft = (signed char)ft;
    o->height_in = (signed char)in;
    o->activity_level = (signed char)act;
    o->conditioning = (signed char)cond;
    o->seasonal_sport = (signed char)sport;
    o->stretch_routine = (signed char)stretch;
}

static int fast_survey(const cs_schema *s, const cs_record *rec, cs_wave *o)
{
    const cs_str *f = rec->fields;
    const long *x = s->idx;
    cs_str sex = f[x[CS_SV_SEX]], date = f[x[CS_SV_SURVEY_DATE]];
    cs_datetime t;
    int age = 0, ft = 0, in = 0, act = 0, cond = 0, sport = 0, stretch = 0;
    unsigned nc = 0;    /* the fixed_ readers' flags (a wave keeps none) */

    if (!fast_text(f[x[CS_SV_PARTICIPANT_ID]], rec->printable) ||
        date.len != 10 ||
        !fast_date(date.ptr, &t) || sex.len != 1 ||
        (sex.ptr[0] != 'F' && sex.ptr[0] != 'M') ||
        !sv_small(f[x[CS_SV_AGE_YEARS]], 10, 110, &age) ||
        !sv_small(f[x[CS_SV_HEIGHT_FT]], 3, 8, &ft) ||
        !sv_small(f[x[CS_SV_HEIGHT_IN]], 0, 11, &in) ||
        !fixed_required(f[x[CS_SV_WEIGHT_LB]], 50, 700, &o->weight_lb,
                        &nc, 1) ||
        !sv_enum(s, FAST_ACTIVITY, f[x[CS_SV_ACTIVITY_LEVEL]], &act) ||
        !sv_enum(s, FAST_CONDITIONING, f[x[CS_SV_CONDITIONING]], &cond) ||
        !fixed_bool(f[x[CS_SV_SEASONAL_SPORT]], 0, &sport, &nc, 0) ||
        !fixed_bool(f[x[CS_SV_STRETCH_ROUTINE]], 0, &stretch, &nc, 0) ||
        !fast_conditions(s, f[x[CS_SV_CONDITIONS]], o) ||
        !fast_goal(s, f[x[CS_SV_CALORIE_GOAL]], &o->goal_lb_week) ||
        !fixed_optional(f[x[CS_SV_CALCIUM_MG]], 0, 10000, &o->calcium_mg,
                        &nc, 1) ||
        !fixed_optional(f[x[CS_SV_POTASSIUM_MG]], 0, 10000, &o->potassium_mg,
                        &nc, 1))
        return 0;
    o->sex = sex.ptr[0] == 'F' ? CS_SEX_F : CS_SEX_M;
    if ((o->conditions & (1u << CS_MED_PREGNANCY)) && o->sex != CS_SEX_F)
        return 0;
    set_small(o, age, ft, in, act, cond, sport, stretch);
    o->participant_id = f[x[CS_SV_PARTICIPANT_ID]];
    o->day = fixed_days(t.year, t.month, t.day);
    return 1;
}

int cs_schema_survey(const cs_schema *s, const cs_record *rec, cs_wave *o,
                     cs_reject *rej)
{

    if (!check_ragged(s, rec, rej))
        return 0;
    if (s->fast && fast_survey(s, rec, o))
        return 1;
    return cs_schema_survey_checked(s, rec, o, rej);
}

int cs_schema_survey_checked(const cs_schema *s, const cs_record *rec,
                             cs_wave *o, cs_reject *rej)
{
    ctx c = { s, rec, rej, sv_names };
    const char *why;
    char b[64];
    cs_datetime t;
    cs_str v;
    int sex = 0, age = 0, ft = 0, in = 0, act = 0, cond = 0, sport = 0,
        stretch = 0;

    if (!check_ragged(s, rec, rej) ||
        !check_text(&c, CS_SV_PARTICIPANT_ID, &o->participant_id))
        return 0;
    v = field(&c, CS_SV_SURVEY_DATE);
    if (cs_is_missing(v))
        return reject(rej, s->idx[CS_SV_SURVEY_DATE],
                      "survey_date: missing, but it is required");
    if (cs_parse_date(v, &t, &why) < 0)
        return reject(rej, s->idx[CS_SV_SURVEY_DATE], "survey_date: %s: %s",
                      show(v, b, sizeof b), why);
    o->day = cs_days_from_civil(t.year, t.month, t.day);
    if (!check_sex(&c, &sex) ||
        !check_int(&c, CS_SV_AGE_YEARS, 10, 110, &age) ||
        !check_int(&c, CS_SV_HEIGHT_FT, 3, 8, &ft) ||
        !check_int(&c, CS_SV_HEIGHT_IN, 0, 11, &in) ||
        !check_number(&c, CS_SV_WEIGHT_LB, 1, 50, 0, 700, &o->weight_lb) ||
        !check_enum(&c, CS_SV_ACTIVITY_LEVEL, 1, cs_activity_name, CS_ACT_N,
                    &act) ||
        !check_enum(&c, CS_SV_CONDITIONING, 1, cs_conditioning_name, CS_COND_N,
                    &cond) ||
        !check_bool(&c, CS_SV_SEASONAL_SPORT, 1, &sport) ||
        !check_bool(&c, CS_SV_STRETCH_ROUTINE, 1, &stretch))
        return 0;
    o->sex = (signed char)sex;
    set_small(o, age, ft, in, act, cond, sport, stretch);
    if (!check_conditions(&c, o) ||
        !check_goal(&c, o) ||
        !check_number(&c, CS_SV_CALCIUM_MG, 0, 0, 0, 10000, &o->calcium_mg) ||
        !check_number(&c, CS_SV_POTASSIUM_MG, 0, 0, 0, 10000, &o->potassium_mg))
        return 0;
    if ((o->conditions & (1u << CS_MED_PREGNANCY)) && o->sex != CS_SEX_F)
        return reject(rej, s->idx[CS_SV_CONDITIONS],
                      "conditions: pregnancy is given for sex M");
    return 1;
}

/* ---- canonical output ---------------------------------------------- */

void cs_schema_write_header(const cs_schema *s, cs_writer *w)
{
    if (s->kind == CS_SCHEMA_ANY) {
        for (size_t i = 0; i < s->ncols; i++)
            cs_writer_str(w, s->names[i]);
    } else {
        for (int c = 0; c < s->ncontract; c++)
            cs_writer_cstr(w, contract_name(s, c));
        for (size_t i = 0; i < s->nextra; i++)
            cs_writer_str(w, s->names[s->extra[i]]);
    }
    cs_writer_end_row(w);
}

void cs_schema_write_extra(const cs_schema *s, cs_writer *w,
                           const cs_record *rec)
{
    for (size_t i = 0; i < s->nextra; i++)
        cs_writer_str(w, rec->fields[s->extra[i]]);
}

static void put_num(const cs_schema *s, cs_writer *w, const cs_record *rec,
                    int col, double v)
{
    char b[96];
    int n;
    cs_str t;

    if (isnan(v) || s->idx[col] < 0) {
        cs_writer_plain(w, "", 0);
        return;
    }
    t = cs_str_trim(rec->fields[s->idx[col]]);
    n = cs_canon_decimal(t, b, sizeof b);
    if (n >= 0) {
        cs_writer_plain(w, b, (size_t)n);
        return;
    }
    /* Rare: a decimal longer than b. Printing the double (as this once
     * did) gives an exponent that the parser rejects on the next read,
     * so canonicalise into a buffer of its own, or keep the text. */
    {
        char *big = malloc(t.len + 2);
        if (big && (n = cs_canon_decimal(t, big, t.len + 2)) >= 0)
            cs_writer_plain(w, big, (size_t)n);
        else
            cs_writer_plain(w, t.ptr, t.len);
        free(big);
    }
}

static void put_int(cs_writer *w, long v)
{
    char b[24], *p = b;

    if (v < 0)
        *p++ = '-';
    p = cs_fmt_u64(p, v < 0 ? 0UL - (unsigned long)v : (unsigned long)v);
    cs_writer_plain(w, b, (size_t)(p - b));
}

static void put_bool(cs_writer *w, int v)
{
    if (v < 0)
        cs_writer_plain(w, "", 0);
    else
        cs_writer_plain(w, v ? "yes" : "no", v ? 3 : 2);
}

static void put_name(cs_writer *w, const char *name)
{
    if (name)
        cs_writer_cstr(w, name);
    else
        cs_writer_plain(w, "", 0);
}

static void put_datetime(cs_writer *w, const cs_datetime *t, cs_str orig)
{
    /* Formatted by hand: snprintf was a tenth of ingest's time. */
    char b[32];
    size_t n = 10;

    cs_fmt_2digits(b, (uint32_t)t->year / 100);
    cs_fmt_2digits(b + 2, (uint32_t)t->year % 100);
    b[4] = '-';
    cs_fmt_2digits(b + 5, (uint32_t)t->month);
    b[7] = '-';
    cs_fmt_2digits(b + 8, (uint32_t)t->day);
    if (t->has_time) {
        b[10] = 'T';
        cs_fmt_2digits(b + 11, (uint32_t)t->hour);
        b[13] = ':';
        cs_fmt_2digits(b + 14, (uint32_t)t->min);
        b[16] = ':';
        cs_fmt_2digits(b + 17, (uint32_t)t->sec);
        n = 19;
        if (t->has_tz && t->tz_min == 0 && (orig.ptr[orig.len - 1] == 'Z' ||
                                            orig.ptr[orig.len - 1] == 'z')) {
            b[n++] = 'Z';
        } else if (t->has_tz) {
            int m = t->tz_min < 0 ? -t->tz_min : t->tz_min;
            /* -00:00 as given: the offset is 0 either way, but RFC 3339
             * reads -00:00 as "local offset unknown". */
            int minus = t->tz_min < 0 ||
                        (t->tz_min == 0 && orig.len >= 6 &&
                         orig.ptr[orig.len - 6] == '-');
            b[n++] = minus ? '-' : '+';
            cs_fmt_2digits(b + n, (uint32_t)m / 60);
            b[n + 2] = ':';
            cs_fmt_2digits(b + n + 3, (uint32_t)m % 60);
            n += 5;
        }
    }
    cs_writer_plain(w, b, n);
}

/* Column c of the session, written from its values. */
static void put_col(const cs_schema *s, cs_writer *w, const cs_record *rec,
                    const cs_session *o, int c)
{
    switch (c) {
    case CS_EX_PARTICIPANT_ID: cs_writer_str(w, o->participant_id); break;
    case CS_EX_SESSION_ID: cs_writer_str(w, o->session_id); break;
    case CS_EX_START_TIME:
        put_datetime(w, &o->start,
                     cs_str_trim(rec->fields[s->idx[CS_EX_START_TIME]]));
        break;
    case CS_EX_ACTIVITY: cs_writer_str(w, o->activity); break;
    case CS_EX_DURATION_MIN:
        put_num(s, w, rec, CS_EX_DURATION_MIN, o->duration_min);
        break;
    case CS_EX_INTENSITY_RPE: put_int(w, o->intensity_rpe); break;
    case CS_EX_TEMP_C: put_num(s, w, rec, CS_EX_TEMP_C, o->temp_c); break;
    case CS_EX_HUMIDITY_PCT:
        put_num(s, w, rec, CS_EX_HUMIDITY_PCT, o->humidity_pct);
        break;
    case CS_EX_FLUID_ML: put_num(s, w, rec, CS_EX_FLUID_ML, o->fluid_ml); break;
    case CS_EX_WARMUP_MIN:
        put_num(s, w, rec, CS_EX_WARMUP_MIN, o->warmup_min);
        break;
    case CS_EX_STRETCHED: put_bool(w, o->stretched); break;
    case CS_EX_CRAMP: put_bool(w, o->cramp); break;
    default: put_name(w, cs_muscle_name(o->cramp_muscle)); break;
    }
}

/* cs_schema_write_session_cols for a row with a cell to write from its
 * value: apart, so that the verbatim row's path saves no registers for
 * this loop. */
static __attribute__((noinline)) void
write_session_runs(const cs_schema *s, cs_writer *w, const cs_record *rec,
                   const cs_session *o, unsigned m)
{
    const cs_str *f = rec->fields;

    for (int c = 0; c < CS_EX_NCOLS;) {
        if (m >> c & 1) {
            int e = c + 1;
            while (e < CS_EX_NCOLS && (m >> e & 1))
                e++;
            cs_writer_cells(w, f[c].ptr,
                            (size_t)(f[e - 1].ptr + f[e - 1].len - f[c].ptr));
            c = e;
        } else {
            put_col(s, w, rec, o, c++);
        }
    }
}

void cs_schema_write_session_cols(const cs_schema *s, cs_writer *w,
                                  const cs_record *rec, const cs_session *o)
{
    unsigned m = cs_writer_copies(w, ',') ? o->canon_cells : 0;
    const cs_str *f = rec->fields;

    /* The fast path found these fields, as they lie in the row's text, to
     * be their canonical cells already: each run of them is copied with
     * the commas between (the whole row when verbatim), and the others
     * are written from their values. */
    if (m == CS_EX_ALL_CANON) {
        const char *end = f[CS_EX_NCOLS - 1].ptr + f[CS_EX_NCOLS - 1].len;
        cs_writer_cells(w, f[0].ptr, (size_t)(end - f[0].ptr));
        return;
    }
    write_session_runs(s, w, rec, o, m);
}

void cs_schema_write_session(const cs_schema *s, cs_writer *w,
                             const cs_record *rec, const cs_session *o)
{
    cs_schema_write_session_cols(s, w, rec, o);
    cs_schema_write_extra(s, w, rec);
    cs_writer_end_row(w);
}

static void put_conditions(cs_writer *w, const cs_wave *o)
{
    char b[256];
    size_t n = 0;

    if (!o->conditions_known) {
        cs_writer_plain(w, "NA", 2);
        return;
    }
    for (int m = 0; m < CS_MED_N; m++)
        if (o->conditions & (1u << m))
            n += (size_t)snprintf(b + n, sizeof b - n, "%s%s", n ? ";" : "",
                                  cs_medical_name(m));
    cs_writer_plain(w, b, n);
}

void cs_schema_write_wave(const cs_schema *s, cs_writer *w,
                          const cs_record *rec, const cs_wave *o)
{
    char b[32];
    int n;

    cs_writer_str(w, o->participant_id);
    n = cs_fmt_date(b, sizeof b, o->day);
    cs_writer_plain(w, b, (size_t)n);
    cs_writer_plain(w, o->sex == CS_SEX_F ? "F" : "M", 1);
    put_int(w, o->age_years);
    put_int(w, o->height_ft);
    put_int(w, o->height_in);
    put_num(s, w, rec, CS_SV_WEIGHT_LB, o->weight_lb);
    put_name(w, cs_activity_name(o->activity_level));
    put_name(w, cs_conditioning_name(o->conditioning));
    put_bool(w, o->seasonal_sport);
    put_bool(w, o->stretch_routine);
    put_conditions(w, o);
    n = cs_fmt_double(b, sizeof b, o->goal_lb_week);
    cs_writer_plain(w, b, (size_t)n);
    put_num(s, w, rec, CS_SV_CALCIUM_MG, o->calcium_mg);
    put_num(s, w, rec, CS_SV_POTASSIUM_MG, o->potassium_mg);
    cs_schema_write_extra(s, w, rec);
    cs_writer_end_row(w);
}

size_t cs_schema_canonical_header(int kind, char *buf, size_t cap)
{
    int k = kind == CS_SCHEMA_SURVEY;
    const char *const *names = k ? sv_names : ex_names;
    size_t n = k ? CS_SV_NCOLS : CS_EX_NCOLS, len = 0;

    if (kind != CS_SCHEMA_EXERCISE && kind != CS_SCHEMA_SURVEY)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        int w = snprintf(buf + (len < cap ? len : cap), len < cap ? cap - len : 0,
                         "%s%s", i && i < n ? "," : "", i < n ? names[i] : "\n");
        len += (size_t)w;
    }
    return len;
}
