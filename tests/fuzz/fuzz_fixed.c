/* libFuzzer harness: the exercise validator for the canonical column
 * order (cs_schema_exercise_fixed, which cs_schema_exercise tries first
 * for that layout) against the full checks, on the same records. The
 * input is the data under a canonical header (as it is, or rows of
 * values picked from lists of tricky ones), read by the reader as ingest
 * reads it (plain lines split in place). For every record: cs_schema_exercise
 * and cs_schema_exercise_checked give the same verdict, the same reason
 * and column, the same values bit for bit and the same milli-minutes;
 * what the fixed validator accepts the checks accept with those values;
 * the same fields under a header in reverse order with an extra column
 * first give the same verdict, reason and values. At the end the rows
 * written from the checked values and those written from
 * cs_schema_exercise's (the fields it found canonical copied as they
 * lie) are the same bytes. */
#define _GNU_SOURCE   /* memfd_create */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <crampstat/reader.h>
#include <crampstat/schema.h>
#include <crampstat/source.h>
#include <crampstat/writer.h>
#include "internal.h"
#include "../session_diff.h"

static const char head[] =
    "participant_id,session_id,start_time,activity,duration_min,"
    "intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,"
    "cramp,cramp_muscle\n";

#define NC CS_EX_NCOLS

static void same_session(const cs_session *a, const cs_session *b)
{
    assert(cs_test_session_diff(a, b) == NULL);
}

/* A schema for fields h[0..n). */
static cs_schema *schema_of(const char *const *h, size_t n)
{
    cs_str f[NC + 1];
    cs_record rec = {0};
    cs_error err = {0};
    cs_schema *s = NULL;

    for (size_t i = 0; i < n; i++)
        f[i] = (cs_str){ h[i], strlen(h[i]) };
    rec.fields = f;
    rec.nfields = n;
    rec.line = 1;
    if (cs_schema_create(&s, CS_SCHEMA_EXERCISE, "fuzz.csv", &rec, &err) < 0)
        abort();
    return s;
}

static cs_writer *memfd_writer(int *fd)
{
    cs_writer *w = NULL;
    cs_error err = {0};
    cs_write_opts o = {0};

    *fd = memfd_create("fixed", MFD_CLOEXEC);
    if (*fd < 0 || cs_writer_open_fd(&w, *fd, "mem", &o, &err) < 0)
        abort();
    return w;
}

static char *slurp(int fd, size_t *len)
{
    off_t end = lseek(fd, 0, SEEK_END);
    char *b = malloc((size_t)end + 1);
    assert(b && end >= 0);
    *len = (size_t)end;
    assert(pread(fd, b, *len, 0) == (ssize_t)*len);
    return b;
}

/* Values worth combining, by column: each bound and just past it,
 * leading zeros, signs, exponents, blanks, NA, impossible dates. */
static const char *const t_text[] = {
    "P0000001", "S000000001", "running", "x", "NA", "n/a", "NAN", "", " P1",
    "P1 ", "P\"1", "a b", "P\xc3\xa9", "P\x01", "0123456789abcdef0123456789"
};
static const char *const t_time[] = {
    "2024-01-15T07:30:00Z", "2024-01-15T07:30:00", "2024-01-15T07:30",
    "2024-01-15T07:30:00+05:30", "2024-01-15T07:30:00-00:00",
    "2024-01-15T07:30-09:45", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00",
    "2024-02-30T10:00:00", "1900-02-29T12:00:00", "2000-02-29T12:00:00",
    "2024-13-01T00:00:00", "2024-00-10T00:00:00", "2024-01-00T00:00:00",
    "2024-01-15T24:00:00", "2024-01-15T23:60:00", "2024-01-15T23:59:60",
    "2024-01-15T07:30:00+24:00", "2024-01-15T07:30:00+05:60",
    "2024-01-15 07:30:00", "2024-01-15T07:30:00z", "2024-01-15",
    "0000-01-01T00:00:00", "9999-12-31T23:59:59Z", "2024-1-15T07:30:00",
    "2024-01-15T07:30:00ZZ", "2024-01-15T7:30:00", "NA", ""
};
static const char *const t_num[] = {
    "0", "1", "45", "4.6", "12.5", "12.50", "12.0", "0.5", ".5", "5.", "045",
    "00", "-0", "-0.0", "-0.5", "-40", "-40.0", "-40.01", "-41", "+5", "1e3",
    "60", "60.01", "100", "100.5", "240", "240.5", "1440", "1440.0",
    "1440.0001", "1441", "10000", "10000.1", "0.0001", "0.0005", "0.0015",
    "1439.9995", "1439.9994", "12.3456789", "123456789012345",
    "1234567890123456", "0.000000000000001", "0.0000000000000001",
    "1440.00000000000000001", "NA", "na", "N/A", "", " 5", "5 ", "-", ".",
    "x", "inf", "9999.99999999999"
};
static const char *const t_rpe[] = {
    "1", "4", "9", "10", "0", "11", "07", "+7", "-1", "7.0", "7.5", "1e1",
    "", "NA", " 7", "x"
};
static const char *const t_bool[] = {
    "yes", "no", "Yes", "NO", "y", "n", "1", "0", "true", "false", "", "NA",
    "n/a", " yes", "no ", "maybe"
};
static const char *const t_muscle[] = {
    "", "hamstring", "calf", "quadriceps", "foot", "other", "Calf", "NA",
    "N/A", "calves", " foot", "x"
};
#define PICK(list, b) (list)[(b) % (sizeof (list) / sizeof (list)[0])]

/* Rows of tokens: byte i of each group of NC picks column i's value
 * (its high bit appends one character more), so that most rows come
 * near the canonical form and mix tricky values. */
static size_t token_rows(char *out, size_t cap, const uint8_t *d, size_t n)
{
    size_t len = 0;

    for (size_t r = 0; r + NC <= n; r += NC) {
        for (int c = 0; c < NC; c++) {
            uint8_t b = d[r + (size_t)c];
            const char *v;
            size_t vl;
            switch (c) {
            case CS_EX_PARTICIPANT_ID: case CS_EX_SESSION_ID:
            case CS_EX_ACTIVITY: v = PICK(t_text, b & 0x7f); break;
            case CS_EX_START_TIME: v = PICK(t_time, b & 0x7f); break;
            case CS_EX_INTENSITY_RPE: v = PICK(t_rpe, b & 0x7f); break;
            case CS_EX_STRETCHED: case CS_EX_CRAMP:
                v = PICK(t_bool, b & 0x7f); break;
            case CS_EX_CRAMP_MUSCLE: v = PICK(t_muscle, b & 0x7f); break;
            default: v = PICK(t_num, b & 0x7f); break;
            }
            vl = strlen(v);
            if (len + vl + 3 > cap)
                return len;
            memcpy(out + len, v, vl);
            len += vl;
            if (b & 0x80)
                out[len++] = "05.-9Z: "[b % 8];
            out[len++] = c + 1 < NC ? ',' : '\n';
        }
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cs_schema *canon, *perm;
    cs_source_opts so = { 1, (size_t)8 << (size % 10) };
    cs_error err = {0};
    cs_reader *r = NULL;
    const cs_record *rec;
    cs_writer *wk, *wa;
    int fk, fa, rc;
    char *buf, *ka, *kb;
    size_t la, lb, cap, len;

    if (!canon) {
        const char *h[NC + 1];
        for (int c = 0; c < NC; c++)
            h[c] = cs_exercise_column(c);
        canon = schema_of(h, NC);
        h[0] = "note";
        for (int c = 0; c < NC; c++)
            h[NC - c] = cs_exercise_column(c);
        perm = schema_of(h, NC + 1);
    }
    cs_source_set_defaults(&so);
    /* The first byte: odd, the rest is CSV as it is; even, rows of
     * tokens. */
    if (size < 1)
        return 0;
    cap = sizeof head + 64 * size;
    buf = malloc(cap);
    assert(buf);
    memcpy(buf, head, sizeof head - 1);
    len = sizeof head - 1;
    if (data[0] & 1) {
        memcpy(buf + len, data + 1, size - 1);
        len += size - 1;
    } else {
        len += token_rows(buf + len, cap - len, data + 1, size - 1);
    }
    if (cs_reader_open_mem(&r, "fuzz.csv", buf, len, NULL, &err) < 0) {
        free(buf);
        return 0;
    }
    wk = memfd_writer(&fk);
    wa = memfd_writer(&fa);
    rc = cs_reader_next(r, &rec, &err);   /* the header */
    while (rc > 0 && (rc = cs_reader_next(r, &rec, &err)) > 0) {
        cs_record c = *rec, p;   /* a copy, for the fields' other order */
        cs_str pf[NC + 1];
        cs_session a, k, f, q;
        cs_reject ra = { -2, "" }, rk = { -2, "" }, rq = { -2, "" };
        int oka, okk, okf, okq;

        oka = cs_schema_exercise(canon, &c, &a, &ra);
        okk = cs_schema_exercise_checked(canon, &c, &k, &rk);
        okf = cs_schema_exercise_fixed(canon, &c, &f);
        assert(oka == okk);
        assert(!okf || okk);
        if (!oka) {
            assert(ra.col == rk.col && strcmp(ra.reason, rk.reason) == 0);
        } else {
            same_session(&a, &k);
            assert(!cs_session_verbatim(&k));
            if (okf)
                same_session(&f, &k);
            cs_schema_write_session(canon, wk, &c, &k);
            cs_schema_write_session(canon, wa, &c, &a);
        }
        /* The same fields under the other header. */
        if (c.nfields != NC)
            continue;
        pf[0] = (cs_str){ "n", 1 };
        for (int i = 0; i < NC; i++)
            pf[NC - i] = c.fields[i];
        p = c;
        p.fields = pf;
        p.nfields = NC + 1;
        okq = cs_schema_exercise(perm, &p, &q, &rq);
        assert(okq == oka);
        assert(cs_schema_exercise_fixed(perm, &p, &f) == 0);
        if (!okq) {
            assert(strcmp(rq.reason, ra.reason) == 0);
            assert(ra.col < 0 ? rq.col == ra.col : rq.col == NC - ra.col);
        } else {
            same_session(&q, &k);
            assert(!cs_session_verbatim(&q));
        }
    }
    if (rc < 0)
        assert(err.code == rc && err.msg[0]);
    assert(cs_writer_close(wk, NULL) == CS_OK);
    assert(cs_writer_close(wa, NULL) == CS_OK);
    ka = slurp(fk, &la);
    kb = slurp(fa, &lb);
    assert(la == lb && memcmp(ka, kb, la) == 0);
    free(ka);
    free(kb);
    close(fk);
    close(fa);
    cs_reader_free(r);
    free(buf);
    return 0;
}
