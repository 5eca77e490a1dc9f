/* Tag's output read back by column name: the reader next to tag's writer
 * (tag.c), so that every stage that reads tagged sessions accepts and
 * rejects the same rows for the same reasons. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/derive.h>
#include <crampstat/tagread.h>
#include <crampstat/value.h>
#include "internal.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct cs_tagread {
    cs_reader *r;
    cs_rejlog *rej;
    unsigned want;
    size_t ncols;
    long fcol[CS_F_N], ocol, dcol, gcol, pcol, bcol, acol;
    long xcol[CS_DOSE_N], tcol;
    /* The exposures read from a column (all but the duration), in their
     * order: column and exposure; and those absent, always NaN. */
    long xread[CS_DOSE_N];
    int xe[CS_DOSE_N], nx, xabsent[CS_DOSE_N], nabsent;
    long frun;          /* the factors then outcome, side by side, or -1 */
    int tail;           /* ... and they end the line, past the head */
    uint64_t rows, rejected;
    char bname[128], aname[128];  /* the --by and --adjust columns */
};

/* Column index by name (trimmed, case-insensitive), or -1. */
static long column(const cs_record *h, const char *name)
{
    for (size_t i = 0; i < h->nfields; i++)
        if (cs_str_ieq(cs_str_trim(h->fields[i]), name))
            return (long)i;
    return -1;
}

/* How many header columns have this name: one given twice is ambiguous,
 * and column() would silently take the first. */
static int named(const cs_record *h, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < h->nfields; i++)
        n += cs_str_ieq(cs_str_trim(h->fields[i]), name) != 0;
    return n;
}

int cs_tagread_is_tagged(const cs_record *h)
{
    return column(h, "outcome") >= 0 && column(h, "goal_lb_week") >= 0;
}

static int missing(cs_error *err, const char *src, const cs_record *h,
                   const char *name, const char *command)
{
    return cs_error_at(err, CS_EPARSE, (cs_pos){ src, h->line, 0 },
                       "column \"%s\" is missing: %s reads the output of "
                       "'crampstat tag'", name, command ? command : "this");
}

static int find_columns(cs_tagread *t, const cs_record *h,
                        const cs_tagread_opts *o, cs_error *err)
{
    const char *src = cs_reader_name(t->r);
    const char *used[CS_F_N + 6];
    int nused = 0;

    t->ocol = t->dcol = t->gcol = t->pcol = t->bcol = t->acol = -1;
    t->tcol = -1;
    for (int k = 0; k < CS_F_N; k++)
        t->fcol[k] = -1;
    for (int e = 0; e < CS_DOSE_N; e++)
        t->xcol[e] = -1;
    if (o->want & CS_TR_FACTORS) {
        for (int k = 0; k < CS_F_N; k++) {
            if ((t->fcol[k] = column(h, cs_factor_name(k))) < 0)
                return missing(err, src, h, cs_factor_name(k), o->command);
            used[nused++] = cs_factor_name(k);
        }
    }
    if ((t->ocol = column(h, "outcome")) < 0)
        return missing(err, src, h, "outcome", o->command);
    used[nused++] = "outcome";
    if (o->want & CS_TR_FACTORS) {
        if ((t->dcol = column(h, "duration_min")) < 0)
            return missing(err, src, h, "duration_min", o->command);
        used[nused++] = "duration_min";
    }
    if (o->want & CS_TR_GOAL) {
        if ((t->gcol = column(h, "goal_lb_week")) < 0)
            return missing(err, src, h, "goal_lb_week", o->command);
        used[nused++] = "goal_lb_week";
    }
    if ((o->want & CS_TR_PARTICIPANT) &&
        (t->pcol = column(h, "participant_id")) < 0)
        return cs_error_at(err, CS_EPARSE, (cs_pos){ src, h->line, 0 },
                           "column \"participant_id\" is missing: the "
                           "intervals robust to clustering need it (or use "
                           "--cluster none)");
    if ((o->by && (t->bcol = column(h, o->by)) < 0) ||
        (o->adjust && (t->acol = column(h, o->adjust)) < 0))
        return cs_error_at(err, CS_EUSAGE, (cs_pos){ src, h->line, 0 },
                           "no column \"%s\" in the header",
                           t->bcol < 0 && o->by ? o->by : o->adjust);
    snprintf(t->bname, sizeof t->bname, "%s", o->by ? o->by : "");
    snprintf(t->aname, sizeof t->aname, "%s", o->adjust ? o->adjust : "");
    if (o->by)
        used[nused++] = o->by;
    if (o->adjust)
        used[nused++] = o->adjust;
    if (t->pcol >= 0)
        used[nused++] = "participant_id";
    for (int k = 0; k < nused; k++)
        if (named(h, used[k]) > 1)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ src, h->line, 0 },
                               "column \"%s\" appears twice in the header",
                               used[k]);
    /* Tag writes the factors and then the outcome side by side. */
    t->frun = -1;
    if (o->want & CS_TR_FACTORS) {
        int k = 1;
        while (k < CS_F_N && t->fcol[k] == t->fcol[0] + k)
            k++;
        if (k == CS_F_N && t->ocol == t->fcol[0] + CS_F_N)
            t->frun = t->fcol[0];
    }
    /* Absent ones count every session as missing or undated. */
    if (o->want & CS_TR_MORE) {
        for (int e = 0; e < CS_DOSE_N; e++)
            if (e != CS_DOSE_DURATION)
                t->xcol[e] = column(h, cs_dose_exposure_name(e));
        t->tcol = column(h, "start_time");
        for (int e = 0; e < CS_DOSE_N; e++) {
            if (e == CS_DOSE_DURATION)
                continue;
            if (t->xcol[e] >= 0) {
                t->xread[t->nx] = t->xcol[e];
                t->xe[t->nx++] = e;
            } else {
                t->xabsent[t->nabsent++] = e;
            }
        }
    }
    return CS_OK;
}

/* When the factors and the outcome end the line (tag writes them last),
 * the reader splits only the columns up to the last other one read
 * (cs_reader_split_head), and flag_tail reads the flags from the line's
 * end; a row whose flags it cannot read is split whole (check). */
static void split_head(cs_tagread *t)
{
    /* The columns read but the flags (--by and --adjust maybe among
     * them), -1 for those not read, then the exposures'. */
    const long read[] = { t->gcol, t->dcol, t->pcol, t->bcol, t->acol,
                          t->tcol };
    long last = -1;

    t->tail = t->frun >= 0 && (size_t)t->frun + CS_F_N + 1 == t->ncols;
    if (!t->tail)
        return;
    for (size_t i = 0; i < sizeof read / sizeof read[0]; i++)
        if (read[i] > last)
            last = read[i];
    for (int i = 0; i < t->nx; i++)
        if (t->xread[i] > last)
            last = t->xread[i];
    if (last >= 0)
        cs_reader_split_head(t->r, (size_t)last + 1);
}

int cs_tagread_open(cs_tagread **out, cs_reader *r, const cs_record *h,
                    const cs_tagread_opts *o, cs_rejlog *rej, cs_error *err)
{
    cs_tagread *t = calloc(1, sizeof *t);

    *out = NULL;
    if (!t)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    t->r = r;
    t->rej = rej;
    t->want = o->want;
    t->ncols = h->nfields;
    if (find_columns(t, h, o, err) < 0) {
        free(t);
        return err->code;
    }
    split_head(t);
    *out = t;
    return CS_OK;
}

/* Whether v is a lone 0 or 1. */
static int lone_flag(cs_str v)
{
    return v.len == 1 && (v.ptr[0] == '0' || v.ptr[0] == '1');
}

static int flag(cs_str v, signed char *out)
{
    /* The usual cell, a lone 0 or 1, needs no trimming. */
    if (!lone_flag(v)) {
        v = cs_str_trim(v);
        if (v.len == 0) {
            *out = -1;
            return 0;
        }
        if (!lone_flag(v))
            return -1;
    }
    *out = (signed char)(v.ptr[0] - '0');
    return 0;
}

/* The factors and the outcome of rec at once, from its column c on, when
 * they are tag's usual cells: the line was split in place and the 15
 * cells are single 0s and 1s between single commas, 29 bytes. The last
 * cell's place and length, checked first (flag_run), keep the loads
 * inside the record; overlapping loads (four words, or two 16-byte loads
 * with SSE2) then check that a comma stands at every odd place and a 0
 * or 1 at every even one (flags_at, the 29 bytes at p). The cells lie
 * side by side with one comma between each two (cs_record), and a field
 * holds no comma, so the commas at the odd places are the 14 between the
 * cells and each cell is its one digit. Returns 1 with the flags set, 0
 * (nothing set) for flag() to read them one by one. */
_Static_assert(CS_F_N == 14, "flag_run reads 14 factors and the outcome");
_Static_assert(offsetof(cs_tagrow, outcome) == offsetof(cs_tagrow, factor) + CS_F_N,
               "flag_run stores the factors and the outcome as one run");

static int flags_at(const char *p, cs_tagrow *row)
{
#ifdef __SSE2__
    {
        /* The same check in two 16-byte loads, bytes 0-15 and 13-28 (a
         * comma first), each as 16-bit lanes of a digit and a comma;
         * the lanes' digits (low bit) then packed into 16 bytes, the
         * flags 0-7 and 7-14, stored over factor[] and the outcome
         * beside it. */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p),
                y = _mm_loadu_si128((const __m128i *)(const void *)(p + 13)),
                one = _mm_set1_epi16(1), flags;
        int okx = _mm_movemask_epi8(_mm_cmpeq_epi8(
                      _mm_and_si128(x, _mm_set1_epi16((short)0xfffe)),
                      _mm_set1_epi16(0x2c30))),
            oky = _mm_movemask_epi8(_mm_cmpeq_epi8(
                      _mm_and_si128(y, _mm_set1_epi16((short)0xfeff)),
                      _mm_set1_epi16(0x302c)));
        if ((okx & oky) != 0xffff)
            return 0;
        flags = _mm_packus_epi16(_mm_and_si128(x, one),
                                 _mm_and_si128(_mm_srli_epi16(y, 8), one));
        _mm_storel_epi64((__m128i *)(void *)row->factor, flags);
        _mm_storel_epi64((__m128i *)(void *)(row->factor + 7),
                         _mm_srli_si128(flags, 8));
        return 1;
    }
#else
    {
        uint64_t w0, w1, w2, w3;

        memcpy(&w0, p, 8);        /* bytes 0-7: digit, comma, digit, ... */
        memcpy(&w1, p + 8, 8);
        memcpy(&w2, p + 16, 8);
        memcpy(&w3, p + 21, 8);   /* bytes 21-28: comma, digit, ... */
        /* Little-endian words: byte i is bits 8i to 8i+7. The digit's
         * last bit is masked off, leaving '0' for both '0' and '1'. */
        if (!CS_LITTLE_ENDIAN ||
            (w0 & UINT64_C(0xfffefffefffefffe)) != UINT64_C(0x2c302c302c302c30) ||
            (w1 & UINT64_C(0xfffefffefffefffe)) != UINT64_C(0x2c302c302c302c30) ||
            (w2 & UINT64_C(0xfffefffefffefffe)) != UINT64_C(0x2c302c302c302c30) ||
            (w3 & UINT64_C(0xfefffefffefffeff)) != UINT64_C(0x302c302c302c302c))
            return 0;
        for (int k = 0; k < CS_F_N; k++)
            row->factor[k] = (signed char)(p[2 * k] & 1);
        row->outcome = (signed char)(p[2 * CS_F_N] & 1);
        return 1;
    }
#endif
}

static int flag_run(const cs_record *rec, long c, cs_tagrow *row)
{
    const cs_str *f = rec->fields + c;
    const char *p = f[0].ptr;

    if (rec->fields[0].ptr != rec->raw.ptr || f[CS_F_N].ptr != p + 2 * CS_F_N ||
        f[CS_F_N].len != 1)
        return 0;
    return flags_at(p, row);
}

/* flag_run for a row whose flags were left unsplit (split_head): its
 * fields counted and split in place, with no quote, the flags the last
 * CS_F_N + 1 fields. When the last 29 bytes are tag's usual cells and a
 * comma stands before them, those fields are those cells. */
static int flag_tail(const cs_record *rec, cs_tagrow *row)
{
    const char *p = rec->raw.ptr + rec->raw.len - (2 * CS_F_N + 1);

    if (rec->raw.len < 2 * CS_F_N + 2 || p[-1] != ',')
        return 0;
    return flags_at(p, row);
}

/* A flag's cell as tag writes it: nothing (unknown) or a lone 0 or 1;
 * 1 with *v set, else 0. */
static inline int lone_cell(const char *p, size_t len, signed char *v)
{
    if (len == 0) {
        *v = -1;
        return 1;
    }
    if (len == 1 && (p[0] | 1) == '1') {
        *v = (signed char)(p[0] & 1);
        return 1;
    }
    return 0;
}

/* Flag k of row: factor k, or for k == CS_F_N the outcome. */
static inline void set_flag(cs_tagrow *row, int k, signed char v)
{
    if (k < CS_F_N)
        row->factor[k] = v;
    else
        row->outcome = v;
}

/* flag_cells for such a row: the last CS_F_N + 1 fields each a lone 0
 * or 1, or nothing, read from the line's end back. The line holds more
 * fields than those (the head's), so a comma stands before the first. */
static int flag_tail_cells(const cs_record *rec, cs_tagrow *row)
{
    const char *lo = rec->raw.ptr, *p = lo + rec->raw.len;

    for (int k = CS_F_N; k >= 0; k--) {
        /* The cell ends at p: a digit after a comma, or nothing. */
        if (p - lo >= 2 && p[-2] == ',' && (p[-1] | 1) == '1') {
            set_flag(row, k, (signed char)(p[-1] & 1));
            p -= 2;
        } else if (p - lo >= 1 && p[-1] == ',') {
            set_flag(row, k, -1);
            p--;
        } else {
            return 0;
        }
    }
    return 1;
}

/* The same cells when some are empty (an unknown factor): each a lone
 * 0 or 1, or nothing, which flag() reads as they are. 1 with the flags
 * set, 0 for flag() to read them (and name the first it refuses). */
static int flag_cells(const cs_record *rec, long c, cs_tagrow *row)
{
    const cs_str *f = rec->fields + c;

    for (int k = 0; k <= CS_F_N; k++) {
        signed char v;
        if (!lone_cell(f[k].ptr, f[k].len, &v))
            return 0;
        set_flag(row, k, v);
    }
    return 1;
}

/* How many of v's first bytes are in set. */
static size_t strspn_n(cs_str v, const char *set)
{
    size_t i = 0;

    while (i < v.len && v.ptr[i] && strchr(set, v.ptr[i]))
        i++;
    return i;
}

/* v as a whole number when it is one to four digits and nothing else:
 * 1 and *out, else 0. Four digits cannot overflow, so no check. */
static inline int small_count(cs_str v, unsigned *out)
{
    unsigned n = 0;

    if (v.len - 1 >= 4)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned d = (unsigned)(unsigned char)v.ptr[i] - '0';
        if (d > 9)
            return 0;
        n = n * 10 + d;
    }
    *out = n;
    return 1;
}

/* v as a number: 0, or -1. The usual cell, a whole number of one to
 * four digits (the intensity, the warm-up, the minerals), is read here:
 * exact as a double, so strtod's value. Then any other number: tag's
 * decimals (heat_index_c, fluid_ml_per_h) lie in the line's middle,
 * with room to read a word or two past them. */
static inline int number(cs_str v, const char *end_of_line, double *out)
{
    unsigned n;

    if (small_count(v, &n)) {
        *out = (double)n;
        return 0;
    }
    if (end_of_line && end_of_line - v.ptr >= CS_DECIMAL_PAD)
        return cs__parse_decimal_padded(v, out);
    return cs_parse_decimal(v, out);
}

/* A number of tag's output, or NaN when missing; -1 when not a number.
 * end: the end of the line v lies in, when the line was split in place
 * (the bytes up to it may be read), else NULL. */
static int dose_value(cs_str v, const char *end_of_line, double *out)
{
    char t[64], *end;
    cs_str tv;

    /* A number holds no space or tab, so the cell is read as it is
     * first; trimmed, it is tried again only when trimming changed it. */
    if (number(v, end_of_line, out) == 0)
        return 0;
    tv = cs_str_trim(v);
    if (tv.len != v.len && number(tv, end_of_line, out) == 0)
        return 0;
    v = tv;
    /* No missing token reads as a number. */
    if (cs_is_missing(v)) {
        *out = NAN;
        return 0;
    }
    /* Very large derived values are written with an exponent. strtod
     * reads more than that (hexadecimal, "infinity"): only a decimal
     * with an exponent goes on to it. */
    if (v.len >= sizeof t || v.len != strspn_n(v, "0123456789+-.eE"))
        return -1;
    memcpy(t, v.ptr, v.len);
    t[v.len] = '\0';
    *out = strtod(t, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

/* The dose-response exposures and the day; the offending column or NULL. */
static const char *more_values(const cs_tagread *t, const cs_record *rec,
                               uint64_t mmin, cs_agg_more *m)
{
    const char *eol = rec->fields[0].ptr == rec->raw.ptr
                      ? rec->raw.ptr + rec->raw.len : NULL;

    for (int i = 0; i < t->nx; i++)
        if (dose_value(rec->fields[t->xread[i]], eol, &m->dose[t->xe[i]]) < 0)
            return cs_dose_exposure_name(t->xe[i]);
    for (int i = 0; i < t->nabsent; i++)
        m->dose[t->xabsent[i]] = NAN;
    m->dose[CS_DOSE_DURATION] = (double)mmin / 1000.0;
    m->has_day = 0;
    if (t->tcol >= 0) {
        cs_str v = cs_str_trim(rec->fields[t->tcol]);
        if (v.len == 0)
            return NULL;
        if (v.len < 10 || cs__date_day(v.ptr, &m->day) < 0)
            return "start_time";
        m->has_day = 1;
    }
    return NULL;
}

/* col when v, a field of rec, holds a control byte (a NUL among them:
 * the partial state writes its strings up to the first), with the
 * reason; else NULL. A printable record (cs_record.printable) holds
 * none. */
static const char *control_byte(const cs_record *rec, cs_str v,
                                const char *col, char *reason, size_t cap)
{
    if (rec->printable)
        return NULL;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char ch = (unsigned char)v.ptr[i];
        if (ch < 0x20 || ch == 0x7f) {
            snprintf(reason, cap, "%.64s: holds a control character (byte "
                     "0x%02x)", col, ch);
            return col;
        }
    }
    return NULL;
}

static const char *duration_reason(char *reason, size_t cap)
{
    snprintf(reason, cap, "duration_min: not a number of minutes above "
             "0 and at most 1440");
    return "duration_min";
}

/* Why rec is not a tagged row (into reason), naming its column, or NULL
 * when row now holds it. */
static const char *check(const cs_tagread *t, const cs_record *rec,
                         cs_tagrow *row, char *reason, size_t cap)
{
    const char *bad = NULL;
    unsigned n;
    int flags = 0;      /* the factors and outcome read already */

    if (rec->nfields != t->ncols) {
        snprintf(reason, cap, "row has %zu fields, the header has %zu",
                 rec->nfields, t->ncols);
        return "";
    }
    /* The head holds every column read but the flags (split_head). */
    if (rec->unsplit && !(flags = t->tail && (flag_tail(rec, row) ||
                                              flag_tail_cells(rec, row))))
        cs_reader_split_rest(t->r);
    if (t->gcol >= 0 &&
        (cs_parse_decimal(cs_str_trim(rec->fields[t->gcol]),
                          &row->goal_lb_week) < 0 ||
         cs_goal_index(row->goal_lb_week) < 0)) {
        snprintf(reason, cap, "goal_lb_week: not one of the nine goals "
                 "(-2 ... 2 in steps of 0.5)");
        return "goal_lb_week";
    }
    if (!flags && (t->frun < 0 || (!flag_run(rec, t->frun, row) &&
                                    !flag_cells(rec, t->frun, row)))) {
        for (int k = 0; k < CS_F_N && !bad; k++)
            if (t->fcol[k] >= 0 &&
                flag(rec->fields[t->fcol[k]], &row->factor[k]) < 0)
                bad = cs_factor_name(k);
        if (!bad && flag(rec->fields[t->ocol], &row->outcome) < 0)
            bad = "outcome";
    }
    if (bad) {
        snprintf(reason, cap, "%s: not 1, 0 or empty", bad);
        return bad;
    }
    if (t->dcol >= 0 && small_count(rec->fields[t->dcol], &n)) {
        /* Tag's usual cell, whole minutes: cs_agg_mmin reads it as
         * n * 1000 and refuses it above 1440. */
        row->mmin = (uint64_t)n * 1000;
        if (n - 1 >= 1440)
            return duration_reason(reason, cap);
    } else if (t->dcol >= 0 &&
        (cs_agg_mmin(cs_str_trim(rec->fields[t->dcol]), &row->mmin) < 0 ||
         row->mmin == 0)) {
        return duration_reason(reason, cap);
    }
    if (t->pcol >= 0) {
        row->participant = cs_str_trim(rec->fields[t->pcol]);
        if (row->participant.len == 0) {
            snprintf(reason, cap, "participant_id: empty");
            return "participant_id";
        }
        /* As ingest checks it: the partial state keeps ids of at most 64
         * bytes and no control byte, so what aggregate counts reads back. */
        if (row->participant.len > 64) {
            snprintf(reason, cap, "participant_id: %zu bytes, longer than 64",
                     row->participant.len);
            return "participant_id";
        }
        if ((bad = control_byte(rec, row->participant, "participant_id",
                                reason, cap)))
            return bad;
    }
    if ((t->want & CS_TR_MORE) &&
        (bad = more_values(t, rec, row->mmin, &row->more))) {
        snprintf(reason, cap, "%s: %s", bad, strcmp(bad, "start_time") == 0
                 ? "not a date YYYY-MM-DD[Thh:mm...]" : "not a number");
        return bad;
    }
    if (t->bcol >= 0) {
        row->by = cs_str_trim(rec->fields[t->bcol]);
        if ((bad = control_byte(rec, row->by, t->bname, reason, cap)))
            return bad;
    }
    if (t->acol >= 0) {
        row->adjust = cs_str_trim(rec->fields[t->acol]);
        if ((bad = control_byte(rec, row->adjust, t->aname, reason, cap)))
            return bad;
    }
    return NULL;
}

int cs_tagread_next(cs_tagread *t, cs_tagrow *row, cs_error *err)
{
    const cs_record *rec;
    int rc;

    while ((rc = cs_reader_next(t->r, &rec, err)) > 0) {
        char reason[160];
        const char *bad;

        t->rows++;
        if ((t->want & (CS_TR_FACTORS | CS_TR_MORE)) ==
            (CS_TR_FACTORS | CS_TR_MORE)) {
            /* check() sets every factor, the outcome, mmin and more but
             * its day when it accepts the row: the rest as memset would. */
            row->goal_lb_week = 0;
            row->more.day = 0;
        } else {
            memset(row, 0, sizeof *row);
            row->outcome = -1;
        }
        row->participant = row->by = row->adjust = (cs_str){ "", 0 };
        if (!(bad = check(t, rec, row, reason, sizeof reason))) {
            row->rec = rec;
            return 1;
        }
        t->rejected++;
        if (t->rej)
            cs_rejlog_add(t->rej, cs_reader_name(t->r), rec, bad, reason);
    }
    return rc;
}

/* cs_tagread_count's rows between calls of cs_agg_add_rows, and the
 * room for their text: an id (at most 64 bytes) and two values a row,
 * each mostly far shorter. A row whose text alone does not fit is
 * counted by itself, where its text lies. */
#define COUNT_ROWS 64
#define COUNT_TEXT (COUNT_ROWS * 3 * 64)

typedef struct count_chunk {
    cs_tagrow row[COUNT_ROWS];
    cs_acc_row ar[COUNT_ROWS];
    char text[COUNT_TEXT];
} count_chunk;

/* The accumulators' row of tagged row r, as the commands built it. */
static cs_acc_row acc_row(const cs_tagread *t, cs_tagrow *r)
{
    return (cs_acc_row){ (t->want & CS_TR_FACTORS) ? r->factor : NULL,
                         r->outcome, r->mmin, r->by, r->adjust,
                         r->participant,
                         (t->want & CS_TR_MORE) ? &r->more : NULL,
                         (t->want & CS_TR_GOAL) ? r->goal_lb_week : NAN, 0, 0 };
}

/* v's text copied to text + *used. */
static cs_str keep(char *text, size_t *used, cs_str v)
{
    cs_str k = { text + *used, v.len };

    memcpy(text + *used, v.ptr, v.len);
    *used += v.len;
    return k;
}

int cs_tagread_count(cs_tagread *t, cs_agg *a, cs_error *err)
{
    count_chunk *c = malloc(sizeof *c);
    size_t n = 0, used = 0;
    int rc;

    if (!c)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    while ((rc = cs_tagread_next(t, &c->row[n], err)) > 0) {
        cs_tagrow *r = &c->row[n];
        size_t need = r->participant.len + r->by.len + r->adjust.len;

        if (need > COUNT_TEXT - used) {
            if (n > 0 && cs_agg_add_rows(a, c->ar, n, err) < 0)
                break;
            c->row[0] = *r;
            r = &c->row[0];
            n = used = 0;
            if (need > COUNT_TEXT) {
                c->ar[0] = acc_row(t, r);   /* its text where it lies */
                if (cs_agg_add_rows(a, c->ar, 1, err) < 0)
                    break;
                continue;
            }
        }
        c->ar[n] = acc_row(t, r);
        c->ar[n].participant = keep(c->text, &used, r->participant);
        c->ar[n].by = keep(c->text, &used, r->by);
        c->ar[n].adjust = keep(c->text, &used, r->adjust);
        if (++n == COUNT_ROWS) {
            if (cs_agg_add_rows(a, c->ar, n, err) < 0)
                break;
            n = used = 0;
        }
    }
    if (rc >= 0 && err->code == CS_OK && n > 0)
        cs_agg_add_rows(a, c->ar, n, err);
    else if (rc < 0 && n > 0) {
        cs_error e = {0};   /* the error of reading stays the one given */
        cs_agg_add_rows(a, c->ar, n, &e);
    }
    free(c);
    return err->code;
}

uint64_t cs_tagread_rows(const cs_tagread *t) { return t->rows; }
uint64_t cs_tagread_rejected(const cs_tagread *t) { return t->rejected; }

void cs_tagread_free(cs_tagread *t)
{
    free(t);
}
