/* Tests of src/tagread.c: tag's output read back by column name. The
 * inputs are written here by hand; every expected value is the one the
 * text says (45.5 minutes are 45500 milli-minutes, 2024-03-04 is day
 * 19786 since 1970-01-01). */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/buf.h>
#include <crampstat/rules.h>
#include <crampstat/tagread.h>
#include <crampstat/value.h>

/* A header with every factor, then more; rows give the factors as
 * "first" for the first one, "0" for the others but the third, which is
 * "third". */
static void header(cs_buf *b, const char *before, const char *after)
{
    cs_buf_puts(b, before);
    for (int k = 0; k < CS_F_N; k++)
        cs_buf_printf(b, ",%s", cs_factor_name(k));
    cs_buf_printf(b, ",%s\n", after);
}

static void row(cs_buf *b, const char *before, const char *first,
                const char *third, const char *after)
{
    cs_buf_puts(b, before);
    for (int k = 0; k < CS_F_N; k++)
        cs_buf_printf(b, ",%s", k == 0 ? first : k == 2 ? third : "0");
    cs_buf_printf(b, ",%s\n", after);
}

/* A tagread over b's text, and, when rej is given, a reject log beside
 * it (kept in memory, counted by column); the tagread, or NULL when it
 * could not be opened (err says why). */
static cs_tagread *open_text(const cs_buf *b, cs_reader **r,
                             const cs_tagread_opts *o, cs_rejlog **rej,
                             cs_error *err)
{
    const cs_record *h;
    cs_tagread *t = NULL;

    if (rej)
        assert_int_equal(cs_rejlog_open(rej, NULL, err), CS_OK);
    assert_int_equal(cs_reader_open_mem(r, "t.csv", b->ptr, b->len, NULL,
                                        err), CS_OK);
    assert_int_equal(cs_reader_next(*r, &h, err), 1);
    cs_tagread_open(&t, *r, h, o, rej ? *rej : NULL, err);
    return t;
}

static uint64_t rejected_in(const cs_rejlog *l, const char *col)
{
    for (size_t k = 0; k < cs_rejlog_nkeys(l); k++) {
        const char *name;
        uint64_t n;
        cs_rejlog_key(l, k, &name, &n);
        if (strcmp(name, col) == 0)
            return n;
    }
    return 0;
}

/* What a test opened, closed (rej may be NULL). */
static void close_all(cs_tagread *t, cs_reader *r, cs_rejlog *rej, cs_buf *b)
{
    cs_error err = {0};

    cs_tagread_free(t);
    cs_reader_free(r);
    cs_rejlog_close(rej, &err);
    cs_buf_dispose(b);
}

static void reads_and_rejects(void **state)
{
    cs_buf b;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS | CS_TR_MORE | CS_TR_PARTICIPANT,
                          "sex", NULL, "aggregate" };
    cs_tagread *t;
    cs_tagrow tr;

    (void)state;
    cs_buf_init(&b, 0);
    header(&b, "participant_id,duration_min",
           "outcome,sex,heat_index_c,start_time");
    row(&b, " P1 ,45.5", "1", "", "1, F ,31.25,2024-03-04T10:00:00");
    row(&b, "P2,30", "0", "0", "2,M,20,2024-03-05");      /* outcome */
    row(&b, "P3,0", "0", "0", "0,M,20,2024-03-05");       /* duration */
    cs_buf_puts(&b, "P4,30\n");                           /* fields */
    row(&b, ",30", "0", "0", "0,M,20,2024-03-05");        /* participant */
    row(&b, "P6,30", "0", "0", "0,M,hot,2024-03-05");     /* heat */
    row(&b, "P7,30", "yes", "0", "0,M,20,2024-03-05");    /* a factor */
    row(&b, "P8,60", "0", "1", "0,M,,");                  /* accepted */
    /* 65 bytes of id; a control byte in the id and in the --by value:
     * the partial state could not hold them (ids are at most 64 bytes and
     * strings stop at a NUL there, as ingest checks them). */
    row(&b, "P12345678901234567890123456789012345678901234567890123456789"
            "01234,30", "0", "0", "0,M,20,2024-03-05");
    row(&b, "P\00110,30", "0", "0", "0,M,20,2024-03-05");
    row(&b, "P11,30", "0", "0", "0,M\x7f,20,2024-03-05");
    t = open_text(&b, &r, &o, &rej, &err);
    assert_non_null(t);

    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
    assert_int_equal(tr.mmin, 45500);
    assert_int_equal(tr.factor[0], 1);
    assert_int_equal(tr.factor[1], 0);
    assert_int_equal(tr.factor[2], -1);
    assert_int_equal(tr.outcome, 1);
    assert_int_equal(tr.participant.len, 2);
    assert_memory_equal(tr.participant.ptr, "P1", 2);
    assert_int_equal(tr.by.len, 1);
    assert_memory_equal(tr.by.ptr, "F", 1);
    assert_int_equal(tr.adjust.len, 0);
    assert_true(tr.more.dose[CS_DOSE_HEAT] == 31.25);
    assert_true(tr.more.dose[CS_DOSE_DURATION] == 45.5);
    assert_true(isnan(tr.more.dose[CS_DOSE_RPE]));   /* no such column */
    assert_int_equal(tr.more.has_day, 1);
    assert_int_equal(tr.more.day, 19786);

    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
    assert_int_equal(tr.mmin, 60000);
    assert_int_equal(tr.factor[0], 0);
    assert_int_equal(tr.factor[2], 1);
    assert_int_equal(tr.outcome, 0);
    assert_memory_equal(tr.participant.ptr, "P8", 2);
    assert_true(isnan(tr.more.dose[CS_DOSE_HEAT]));
    assert_int_equal(tr.more.has_day, 0);

    assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
    assert_int_equal(cs_tagread_rows(t), 11);
    assert_int_equal(cs_tagread_rejected(t), 9);
    assert_int_equal(rejected_in(rej, "sex"), 1);
    assert_int_equal(rejected_in(rej, "outcome"), 1);
    assert_int_equal(rejected_in(rej, "duration_min"), 1);
    assert_int_equal(rejected_in(rej, ""), 1);
    assert_int_equal(rejected_in(rej, "participant_id"), 3);
    assert_int_equal(rejected_in(rej, "heat_index_c"), 1);
    assert_int_equal(rejected_in(rej, cs_factor_name(0)), 1);
    close_all(t, r, rej, &b);
}

/* Every byte but the CSV's own (comma, quote, CR, LF) as a factor's
 * whole cell: '0' and '1' are the flag, a lone blank is empty (missing),
 * anything else is rejected in that factor's column. */
static void flags_byte_by_byte(void **state)
{
    cs_buf b;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS, NULL, NULL, "aggregate" };
    cs_tagread *t;
    cs_tagrow tr;
    uint64_t want_rejected = 0;

    (void)state;
    cs_buf_init(&b, 0);
    header(&b, "duration_min", "outcome");
    for (int c = 0; c < 256; c++) {
        char cell[2] = { (char)c, 0 };
        if (c == ',' || c == '"' || c == '\r' || c == '\n')
            continue;
        cs_buf_puts(&b, "30");
        for (int k = 0; k < CS_F_N; k++) {
            cs_buf_putc(&b, ',');
            if (k == 0)
                cs_buf_append(&b, cell, 1);
            else
                cs_buf_putc(&b, '0');
        }
        cs_buf_puts(&b, ",1\n");
    }
    t = open_text(&b, &r, &o, &rej, &err);
    assert_non_null(t);
    for (int c = 0; c < 256; c++) {
        if (c == ',' || c == '"' || c == '\r' || c == '\n')
            continue;
        if (c == '0' || c == '1' || c == ' ' || c == '\t') {
            assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
            assert_int_equal(tr.factor[0], c == '0' ? 0 : c == '1' ? 1 : -1);
            assert_int_equal(tr.factor[1], 0);
            assert_int_equal(tr.outcome, 1);
        } else {
            want_rejected++;
        }
    }
    assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
    assert_int_equal(cs_tagread_rows(t), 252);
    assert_int_equal(cs_tagread_rejected(t), want_rejected);
    assert_int_equal(want_rejected, 248);
    assert_int_equal(rejected_in(rej, cs_factor_name(0)), 248);
    close_all(t, r, rej, &b);
}

/* The 14 factors and the outcome, in every place of four layouts: the
 * factors then the outcome at the row's end (as tag writes them), the
 * same with a column after them, the same with a quoted cell first (a
 * line not split in place), and the outcome before the factors. Each
 * place gets each of a set of cells; the other places hold 0s and 1s.
 * Then two neighbouring cells whose lengths add up to two, as two lone
 * digits do ("" and "11"). The expected flags follow from each cell's
 * text: a trimmed 0 or 1 is that flag, a blank cell unknown, anything
 * else rejects the row in the first such column. */
static int cell_flag(const char *text)
{
    cs_str v = cs_str_trim((cs_str){ text, strlen(text) });

    if (v.len == 0)
        return -1;
    if (v.len == 1 && (v.ptr[0] == '0' || v.ptr[0] == '1'))
        return v.ptr[0] - '0';
    return -9;    /* rejected */
}

static void flag_cells_in_every_place(void **state)
{
    static const char *const texts[] = {
        "0", "1", "", " ", "1 ", " 0", "00", "11", "10", "01", "2", "/",
        ":", "x", "0 1", "\t1",
    };
    static const char *const pairs[][2] = {
        { "", "11" }, { "11", "" }, { "10", "" }, { "", "01" },
    };
    enum { NP = CS_F_N + 1, MAXROWS = 4 * NP * 20 };
    static const struct {
        const char *before, *after;
        int outcome_first;
    } layout[] = {
        { "duration_min", "outcome", 0 },
        { "duration_min", "outcome,sex", 0 },
        { "duration_min", "outcome", 0 },          /* a quoted cell first */
        { "outcome,duration_min", "sex", 1 },
    };
    (void)state;
    for (size_t L = 0; L < sizeof layout / sizeof layout[0]; L++) {
        static signed char want[MAXROWS][NP];
        static const char *bad[MAXROWS];
        cs_buf b;
        cs_reader *r = NULL;
        cs_rejlog *rej = NULL;
        cs_error err = {0};
        cs_tagread_opts o = { CS_TR_FACTORS, NULL, NULL, "aggregate" };
        cs_tagread *t;
        cs_tagrow tr;
        size_t nrows = 0;
        uint64_t nbad = 0;

        cs_buf_init(&b, 0);
        header(&b, layout[L].before, layout[L].after);
        for (int q = 0; q < NP; q++) {
            size_t ntext = sizeof texts / sizeof texts[0];
            size_t nrow = ntext + (q + 1 < NP ? sizeof pairs / sizeof pairs[0] : 0);
            for (size_t i = 0; i < nrow; i++) {
                const char *cell[NP];
                int v;
                for (int k = 0; k < NP; k++)
                    cell[k] = (k + q) % 3 ? "1" : "0";
                if (i < ntext) {
                    cell[q] = texts[i];
                } else {
                    cell[q] = pairs[i - ntext][0];
                    cell[q + 1] = pairs[i - ntext][1];
                }
                bad[nrows] = NULL;
                for (int k = 0; k < NP; k++) {
                    v = cell_flag(cell[k]);
                    want[nrows][k] = (signed char)v;
                    if (v == -9 && !bad[nrows])
                        bad[nrows] = k < CS_F_N ? cs_factor_name(k) : "outcome";
                }
                /* place k < 14 is factor k, place 14 the outcome */
                if (layout[L].outcome_first) {
                    cs_buf_printf(&b, "%s,30", cell[CS_F_N]);
                    for (int k = 0; k < CS_F_N; k++)
                        cs_buf_printf(&b, ",%s", cell[k]);
                    cs_buf_puts(&b, ",F\n");
                } else {
                    cs_buf_puts(&b, L == 2 ? "\"30\"" : "30");
                    for (int k = 0; k < NP; k++)
                        cs_buf_printf(&b, ",%s", cell[k]);
                    cs_buf_puts(&b, L == 1 ? ",F\n" : "\n");
                }
                nrows++;
            }
        }
        assert_true(nrows <= MAXROWS);
        t = open_text(&b, &r, &o, &rej, &err);
        assert_non_null(t);
        for (size_t i = 0; i < nrows; i++) {
            if (bad[i]) {
                nbad++;
                continue;
            }
            assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
            for (int k = 0; k < CS_F_N; k++)
                if (tr.factor[k] != want[i][k])
                    fail_msg("layout %zu, row %zu: factor %d is %d, not %d",
                             L, i, k, tr.factor[k], want[i][k]);
            if (tr.outcome != want[i][CS_F_N])
                fail_msg("layout %zu, row %zu: outcome %d, not %d", L, i,
                         tr.outcome, want[i][CS_F_N]);
        }
        assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
        assert_int_equal(cs_tagread_rows(t), nrows);
        assert_int_equal(cs_tagread_rejected(t), nbad);
        for (int k = 0; k < NP; k++) {
            const char *col = k < CS_F_N ? cs_factor_name(k) : "outcome";
            uint64_t n = 0;
            for (size_t i = 0; i < nrows; i++)
                n += bad[i] && strcmp(bad[i], col) == 0;
            assert_int_equal(rejected_in(rej, col), n);
        }
        /* Each place: 9 of the 16 cells; each pair but the last place's. */
        assert_int_equal(nbad, NP * 9 + (NP - 1) * 4);
        close_all(t, r, rej, &b);
    }
}

/* A dose-response exposure's cell, each shape of number once: what each
 * text says, NaN for a missing one, and the row rejected for a text that
 * is not a number. */
static void exposure_values(void **state)
{
    static const struct {
        const char *text;
        double want;            /* NaN: missing; -999: rejected */
    } cell[] = {
        { "7", 7 }, { "0", 0 }, { "0050", 50 }, { "9999", 9999 },
        { "10000", 10000 }, { "123456", 123456 }, { "1.5", 1.5 },
        { "12.", 12 }, { ".5", 0.5 }, { " 7 ", 7 }, { "\t42", 42 },
        { "-3", -3 }, { "+5", 5 }, { "2773.333333333", 2773.333333333 },
        { "1e3", 1000 }, { "NA", NAN }, { "n/a", NAN }, { "", NAN },
        { " ", NAN }, { "12a", -999 }, { "1 2", -999 }, { "7/", -999 },
        { "7:", -999 }, { "/7", -999 }, { "1.2.3", -999 }, { "-", -999 },
        { ".", -999 }, { "abc", -999 }, { "2.5e+20", 2.5e20 },
        { "-1E3", -1000 }, { "0x1A", -999 }, { "0x1p3", -999 },
        { "infinity", -999 }, { "1e999", -999 }, { "1e", -999 },
    };
    const size_t n = sizeof cell / sizeof cell[0];
    cs_buf b;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS | CS_TR_MORE, NULL, NULL,
                          "aggregate" };
    cs_tagread *t;
    cs_tagrow tr;
    uint64_t rejected = 0;

    (void)state;
    cs_buf_init(&b, 0);
    header(&b, "duration_min", "outcome,intensity_rpe");
    for (size_t i = 0; i < n; i++) {
        char after[64];
        snprintf(after, sizeof after, "1,%s", cell[i].text);
        row(&b, "30", "0", "0", after);
    }
    t = open_text(&b, &r, &o, &rej, &err);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) {
        if (cell[i].want == -999) {
            rejected++;
            continue;
        }
        assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
        if (isnan(cell[i].want)) {
            if (!isnan(tr.more.dose[CS_DOSE_RPE]))
                fail_msg("\"%s\": %g, not missing", cell[i].text,
                         tr.more.dose[CS_DOSE_RPE]);
        } else if (!(tr.more.dose[CS_DOSE_RPE] == cell[i].want)) {
            fail_msg("\"%s\": %.17g, not %.17g", cell[i].text,
                     tr.more.dose[CS_DOSE_RPE], cell[i].want);
        }
    }
    assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
    assert_int_equal(rejected, 14);
    assert_int_equal(cs_tagread_rejected(t), rejected);
    assert_int_equal(rejected_in(rej, "intensity_rpe"), rejected);
    close_all(t, r, rej, &b);
}

#define REJECT INT64_MIN   /* a row want[] says is rejected */

static cs_str str_of(const char *p)
{
    return (cs_str){ p, strlen(p) };
}

/* Rows "INDEX,DURATION,<14 factors 0>,1,START" for each of n cells,
 * read back: want[i] the cell's day (or milli-minutes), or REJECT when
 * the row must be rejected by col. Rows are told apart by their index. */
static void rows_against(const char *const *dur, const char *const *start,
                         const int64_t *want, size_t n, int of_day,
                         const char *col)
{
    cs_buf b;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS | CS_TR_MORE, NULL, NULL,
                          "aggregate" };
    cs_tagread *t;
    cs_tagrow tr;
    uint64_t rejected = 0;
    size_t i = 0;

    cs_buf_init(&b, 0);
    header(&b, "sid,duration_min", "outcome,start_time");
    for (size_t k = 0; k < n; k++) {
        char before[64], after[64];
        snprintf(before, sizeof before, "%zu,%s", k, dur[k]);
        snprintf(after, sizeof after, "1,%s", start[k]);
        row(&b, before, "0", "0", after);
    }
    t = open_text(&b, &r, &o, &rej, &err);
    assert_non_null(t);
    while (cs_tagread_next(t, &tr, &err) == 1) {
        size_t k = (size_t)strtoul(tr.rec->fields[0].ptr, NULL, 10);
        for (; i < k; i++)
            if (want[i] != REJECT)
                fail_msg("row %zu (\"%s\", \"%s\") rejected, want %lld", i,
                         dur[i], start[i], (long long)want[i]);
            else
                rejected++;
        if (want[k] == REJECT)
            fail_msg("row %zu (\"%s\", \"%s\") read, want a reject", k,
                     dur[k], start[k]);
        if (of_day && !(tr.more.has_day && tr.more.day == want[k]))
            fail_msg("\"%s\": day %d (has_day %d), want %lld", start[k],
                     tr.more.day, tr.more.has_day, (long long)want[k]);
        if (!of_day && tr.mmin != (uint64_t)want[k])
            fail_msg("\"%s\": %llu milli-minutes, want %lld", dur[k],
                     (unsigned long long)tr.mmin, (long long)want[k]);
        if (!of_day && tr.more.dose[CS_DOSE_DURATION] != (double)want[k] / 1000.0)
            fail_msg("\"%s\": dose duration %.17g", dur[k],
                     tr.more.dose[CS_DOSE_DURATION]);
        i = k + 1;
    }
    for (; i < n; i++)
        if (want[i] != REJECT)
            fail_msg("row %zu (\"%s\", \"%s\") rejected, want %lld", i,
                     dur[i], start[i], (long long)want[i]);
        else
            rejected++;
    assert_int_equal(cs_tagread_rejected(t), rejected);
    assert_int_equal(rejected_in(rej, col), rejected);
    close_all(t, r, rej, &b);
}

/* start_time's day against cs_parse_date and cs_days_from_civil, in
 * orders that reuse the month kept from the row before: every day 00-33
 * of the months of 1999-2001 and of some far years, each after a valid
 * day of the same month, then each of a date's ten places replaced by
 * every byte value but the CSV's own, after the same month. */
static void start_time_days(void **state)
{
    enum { MAXN = 60000 };
    static char text[MAXN][64];
    static const char *dur[MAXN], *start[MAXN];
    static int64_t want[MAXN];
    static const int years[] = { 1999, 2000, 2001, 1600, 1900, 1970, 2100,
                                 2400, 9999, 0, 1 };
    size_t n = 0;

    (void)state;
    for (size_t yi = 0; yi < sizeof years / sizeof years[0]; yi++)
        for (int m = 0; m <= 13; m++)
            for (int d = 0; d <= 33; d++) {
                const char *tail[] = { "T07:30:00Z", "", "x", " 12" };
                /* a valid day of the month first, then day d */
                for (int twice = 0; twice < 2; twice++) {
                    snprintf(text[n], sizeof text[n], "%04d-%02d-%02d%s",
                             years[yi], m, twice ? d : 1, tail[d % 4]);
                    n++;
                }
            }
    for (int place = 0; place < 10; place++)
        for (int c = 1; c < 256; c++) {
            if (c == ',' || c == '"' || c == '\n' || c == '\r')
                continue;
            snprintf(text[n++], sizeof text[n], "2024-02-15T07:30:00Z");
            snprintf(text[n], sizeof text[n], "2024-02-29T07:30:00Z");
            text[n++][place] = (char)c;
        }
    assert_true(n <= MAXN);
    for (size_t k = 0; k < n; k++) {
        cs_str v = cs_str_trim(str_of(text[k]));
        cs_datetime dt;
        dur[k] = "30";
        start[k] = text[k];
        want[k] = REJECT;
        if (v.len == 0)
            continue;   /* undated: not among these */
        if (v.len >= 10 && cs_parse_date((cs_str){ v.ptr, 10 }, &dt, NULL) == 0)
            want[k] = cs_days_from_civil(dt.year, dt.month, dt.day);
    }
    rows_against(dur, start, want, n, 1, "start_time");
}

/* duration_min's milli-minutes against cs_agg_mmin (the reader of any
 * cell): every text of one to four digits, and others around them. */
static void duration_cells(void **state)
{
    enum { MAXN = 12000 };
    static char text[MAXN][16];
    static const char *dur[MAXN], *start[MAXN];
    static int64_t want[MAXN];
    static const char *const other[] = {
        "+45", "-45", "45.5", " 45", "45 ", "\t45", "12345", "1440.0",
        "1440.0001", "0.0001", "0.0", "00000", "4a", "a4", "", "4 5", "1e3",
        "14400", "01440", "01441", "-0", ".5", "5.",
    };
    size_t n = 0;

    (void)state;
    for (int len = 1; len <= 4; len++)
        for (int v = 0, top = len == 1 ? 10 : len == 2 ? 100 : len == 3 ? 1000 : 10000;
             v < top; v++)
            snprintf(text[n++], sizeof text[n], "%0*d", len, v);
    for (size_t k = 0; k < sizeof other / sizeof other[0]; k++)
        snprintf(text[n++], sizeof text[n], "%s", other[k]);
    /* every byte but the CSV's own after and before a digit */
    for (int c = 1; c < 256; c++) {
        if (c == ',' || c == '"' || c == '\n' || c == '\r')
            continue;
        snprintf(text[n++], sizeof text[n], "4%c", c);
        snprintf(text[n++], sizeof text[n], "%c4", c);
    }
    assert_true(n <= MAXN);
    for (size_t k = 0; k < n; k++) {
        uint64_t mmin;
        dur[k] = text[k];
        start[k] = "2024-03-04";
        want[k] = cs_agg_mmin(cs_str_trim(str_of(text[k])), &mmin) == 0 &&
                  mmin != 0 ? (int64_t)mmin : REJECT;
    }
    rows_against(dur, start, want, n, 0, "duration_min");
}

/* What a row does not set reads as zero, after a row that set it: the
 * day of an undated session, the goal when not asked for, the strings
 * of columns not asked for. */
static void row_fields_reset(void **state)
{
    cs_buf b;
    cs_reader *r = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS | CS_TR_MORE, NULL, NULL,
                          "aggregate" };
    cs_tagread *t;
    cs_tagrow tr;

    (void)state;
    cs_buf_init(&b, 0);
    header(&b, "duration_min", "outcome,start_time,goal_lb_week,participant_id");
    row(&b, "30", "1", "0", "1,2024-03-04T10:00:00Z,-1.5,P1");
    row(&b, "45", "0", "1", "0,,0.5,P2");
    row(&b, "45", "", "1", ",2024-03-05,0.5,P2");
    t = open_text(&b, &r, &o, NULL, &err);
    assert_non_null(t);
    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
    assert_int_equal(tr.more.has_day, 1);
    assert_int_equal(tr.more.day, 19786);
    memset(&tr.participant, 0x55, sizeof tr.participant);
    tr.goal_lb_week = 7;
    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
    assert_int_equal(tr.more.has_day, 0);
    assert_int_equal(tr.more.day, 0);
    assert_true(tr.goal_lb_week == 0);
    assert_int_equal(tr.participant.len, 0);
    assert_int_equal(tr.mmin, 45000);
    assert_int_equal(tr.factor[0], 0);
    assert_int_equal(tr.factor[2], 1);
    assert_int_equal(tr.outcome, 0);
    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
    assert_int_equal(tr.more.day, 19787);
    assert_int_equal(tr.factor[0], -1);
    assert_int_equal(tr.outcome, -1);
    for (int k = 0; k < CS_F_N; k++)
        assert_int_equal(tr.factor[k], k == 0 ? -1 : k == 2 ? 1 : 0);
    assert_true(tr.more.dose[CS_DOSE_DURATION] == 45);
    assert_true(isnan(tr.more.dose[CS_DOSE_RPE]));
    assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
    close_all(t, r, NULL, &b);
}

static void goals_only(void **state)
{
    cs_buf b;
    cs_reader *r = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_GOAL, NULL, NULL, "calories" };
    cs_tagread *t;
    cs_tagrow tr;
    const cs_record *h;

    (void)state;
    cs_buf_init(&b, 0);
    /* No factor columns: calories needs none. */
    cs_buf_puts(&b, "goal_lb_week,outcome\n-1.5,\n0.7,1\n2,x\n0.5,1\n");
    assert_int_equal(cs_reader_open_mem(&r, "g.csv", b.ptr, b.len, NULL,
                                        &err), CS_OK);
    assert_int_equal(cs_reader_next(r, &h, &err), 1);
    assert_int_equal(cs_tagread_is_tagged(h), 1);
    assert_int_equal(cs_tagread_open(&t, r, h, &o, NULL, &err), CS_OK);
    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
    assert_true(tr.goal_lb_week == -1.5);
    assert_int_equal(tr.outcome, -1);
    assert_int_equal(cs_tagread_next(t, &tr, &err), 1);  /* 0.7, x skipped */
    assert_true(tr.goal_lb_week == 0.5);
    assert_int_equal(tr.outcome, 1);
    assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
    assert_int_equal(cs_tagread_rejected(t), 2);
    close_all(t, r, NULL, &b);
}

/* Tag's layout, the factors and outcome last: the reader splits only the
 * columns before them and the flags are read from the line's end; with
 * --by and --adjust naming a factor and the outcome (columns among the
 * flags), every column is split again, and the values are each row's. */
static void flags_at_the_end(void **state)
{
    static const char *const by[] = { NULL, "tightness", "heat" };
    static const char *const adjust[] = { NULL, "outcome", NULL };
    (void)state;
    for (size_t v = 0; v < sizeof by / sizeof by[0]; v++) {
        cs_buf b;
        cs_reader *r = NULL;
        cs_error err = {0};
        cs_tagread_opts o = { CS_TR_FACTORS | CS_TR_MORE | CS_TR_PARTICIPANT,
                              by[v], adjust[v], "aggregate" };
        cs_tagread *t;
        cs_tagrow tr;

        cs_buf_init(&b, 0);
        /* start_time, the last column read before the flags, ends the
         * head. */
        header(&b, "participant_id,duration_min,sex,start_time", "outcome");
        row(&b, "P1,30,F,2024-03-04", "1", "0", "1");
        row(&b, "P2,45,M,2024-03-05", "0", "", "0");
        row(&b, "P3,60,M,2024-03-06", " 1", "1", "");
        t = open_text(&b, &r, &o, NULL, &err);
        assert_non_null(t);
        for (int i = 0; i < 3; i++) {
            static const signed char f0[] = { 1, 0, 1 }, f2[] = { 0, -1, 1 },
                                     out[] = { 1, 0, -1 };
            static const char *const by_text[3][3] = {
                { "", "", "" }, { "0", "0", "0" }, { "0", "", "1" }
            };
            static const char *const adjust_text[3][3] = {
                { "", "", "" }, { "1", "0", "" }, { "", "", "" }
            };
            assert_int_equal(cs_tagread_next(t, &tr, &err), 1);
            assert_int_equal(tr.participant.ptr[1], '1' + i);
            assert_int_equal(tr.mmin, 30000 + 15000 * (uint64_t)i);
            assert_int_equal(tr.factor[0], f0[i]);
            assert_int_equal(tr.factor[1], 0);
            assert_int_equal(tr.factor[2], f2[i]);
            assert_int_equal(tr.outcome, out[i]);
            assert_int_equal(tr.by.len, strlen(by_text[v][i]));
            assert_memory_equal(tr.by.ptr, by_text[v][i], tr.by.len);
            assert_int_equal(tr.adjust.len, strlen(adjust_text[v][i]));
            assert_memory_equal(tr.adjust.ptr, adjust_text[v][i],
                                tr.adjust.len);
            assert_int_equal(tr.more.has_day, 1);
            assert_int_equal(tr.more.day, 19786 + i);
            assert_int_equal(tr.rec->nfields, 4 + CS_F_N + 1);
        }
        assert_int_equal(cs_tagread_next(t, &tr, &err), 0);
        close_all(t, r, NULL, &b);
    }
}

static void header_errors(void **state)
{
    cs_buf b;
    cs_reader *r = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS, "sex", NULL, "aggregate" };

    (void)state;
    cs_buf_init(&b, 0);
    header(&b, "duration_min", "sex");                   /* no outcome */
    assert_null(open_text(&b, &r, &o, NULL, &err));
    assert_int_equal(err.code, CS_EPARSE);
    assert_string_equal(err.msg, "column \"outcome\" is missing: aggregate "
                        "reads the output of 'crampstat tag'");
    cs_reader_free(r);

    cs_buf_reset(&b);
    cs_error_clear(&err);
    header(&b, "duration_min", "outcome,Sex,sex ");      /* sex twice */
    assert_null(open_text(&b, &r, &o, NULL, &err));
    assert_int_equal(err.code, CS_EPARSE);
    assert_string_equal(err.msg, "column \"sex\" appears twice in the header");
    cs_reader_free(r);

    cs_buf_reset(&b);
    cs_error_clear(&err);
    header(&b, "duration_min", "outcome");               /* no sex */
    assert_null(open_text(&b, &r, &o, NULL, &err));
    assert_int_equal(err.code, CS_EUSAGE);
    assert_string_equal(err.msg, "no column \"sex\" in the header");
    cs_reader_free(r);
    cs_buf_dispose(&b);
}

/* A state with every accumulator of 'aggregate --by sex --adjust grp'
 * and the per-participant sums, and its text once t's rows are counted,
 * by cs_tagread_count (batched 1) or a row at a time (0), as aggregate
 * did before cs_tagread_count. */
static void count_text(const cs_buf *b, int batched, cs_buf *out,
                       uint64_t *rows, uint64_t *rejected)
{
    cs_rules rules;
    cs_agg a;
    cs_reader *r = NULL;
    cs_error err = {0};
    cs_tagread_opts o = { CS_TR_FACTORS | CS_TR_MORE | CS_TR_PARTICIPANT,
                          "sex", "grp", "aggregate" };
    cs_tagread *t;

    cs_rules_default(&rules);
    assert_int_equal(cs_agg_init(&a, &rules, "sex", "grp", &err), CS_OK);
    assert_int_equal(cs_agg_cluster(&a, &err), CS_OK);
    assert_int_equal(cs_agg_add_input(&a, "t.csv", &err), CS_OK);
    t = open_text(b, &r, &o, NULL, &err);
    assert_non_null(t);
    if (batched) {
        assert_int_equal(cs_tagread_count(t, &a, &err), CS_OK);
    } else {
        cs_tagrow tr;
        int rc;
        while ((rc = cs_tagread_next(t, &tr, &err)) > 0) {
            cs_acc_row ar = { tr.factor, tr.outcome, tr.mmin, tr.by,
                              tr.adjust, tr.participant, &tr.more, NAN, 0, 0 };
            assert_int_equal(cs_agg_add_row(&a, &ar, &err), CS_OK);
        }
        assert_int_equal(rc, 0);
    }
    *rows = cs_tagread_rows(t);
    *rejected = cs_tagread_rejected(t);
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
    assert_int_equal(cs_agg_write_partial(&a, out, &err), CS_OK);
    cs_tagread_free(t);
    cs_reader_free(r);
    cs_agg_dispose(&a);
}

/* cs_tagread_count gives the state that a row at a time gives: over 64
 * rows a batch; quoted ids and values (their text is in the reader's
 * arena, which the next row reuses: the batch must copy it); values
 * long enough that the batch's text fills before its 64 rows; one value
 * longer than all of it (counted alone, where it lies); and rejected
 * rows between. */
static void count_as_row_at_a_time(void **state)
{
    cs_buf b, one, many;
    uint64_t rows1, rej1, rows2, rej2;
    char id[80], big[13001];

    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cs_buf_init(&b, 0);
    cs_buf_init(&one, 0);
    cs_buf_init(&many, 0);
    header(&b, "participant_id,sex,grp,duration_min", "outcome,temp_c");
    for (int i = 0; i < 700; i++) {
        /* ids of 2 to 64 bytes, 23 participants; every third quoted */
        int len = 2 + (i % 23) * 62 / 22;
        char before[14000];
        const char *sex = i % 3 == 1 ? "\"F,1\"" : i % 3 ? "M" : "F";
        char grp[260];

        id[0] = 'P';
        memset(id + 1, 'a' + i % 23, (size_t)len - 1);
        id[len] = '\0';
        if (i >= 200 && i < 300)       /* 200-byte values: 64 rows overflow */
            snprintf(grp, sizeof grp, "\"g%d,%0200d\"", i % 4, i % 4);
        else
            snprintf(grp, sizeof grp, "g%d", i % 4);
        snprintf(before, sizeof before, "%s%s%s,%s,%s,%s",
                 i % 3 == 0 ? "\"" : "", id, i % 3 == 0 ? "\"" : "",
                 i == 400 ? big : sex, grp,
                 i % 97 == 5 ? "abc" : i % 2 ? "30" : "45.5");
        row(&b, before, i % 2 ? "1" : "0", i % 5 ? "0" : "1",
            i % 7 == 0 ? "1,31.5" : "0,");
    }
    count_text(&b, 0, &one, &rows1, &rej1);
    count_text(&b, 1, &many, &rows2, &rej2);
    assert_int_equal(rows1, 700);
    assert_int_equal(rej1, 8);   /* i % 97 == 5: 5, 102, ..., 684 */
    assert_int_equal(rows2, rows1);
    assert_int_equal(rej2, rej1);
    assert_true(one.len > 13000);  /* the long value is in it */
    assert_int_equal(many.len, one.len);
    assert_memory_equal(many.ptr, one.ptr, one.len);
    cs_buf_dispose(&b);
    cs_buf_dispose(&one);
    cs_buf_dispose(&many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_and_rejects),
        cmocka_unit_test(flags_byte_by_byte),
        cmocka_unit_test(flag_cells_in_every_place),
        cmocka_unit_test(exposure_values),
        cmocka_unit_test(start_time_days),
        cmocka_unit_test(duration_cells),
        cmocka_unit_test(row_fields_reset),
        cmocka_unit_test(goals_only),
        cmocka_unit_test(flags_at_the_end),
        cmocka_unit_test(header_errors),
        cmocka_unit_test(count_as_row_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
