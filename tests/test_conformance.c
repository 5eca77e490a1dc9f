/* The CSV conformance suites in tests/conformance (see its
 * README.md) read through src/reader.c and compared byte for byte with the
 * expected JSON. Where we differ on purpose the case is listed in
 * `deviations` below with the reason and the exact behaviour we promise
 * instead; docs/conformance.md explains each one. A case that passes while
 * listed as a deviation fails too, so the list cannot go stale. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/reader.h>

#define CONF CS_CONFORMANCE "/"

/* ---- a small JSON reader: enough for the expected-result files ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jv {
    enum jtype t;
    int b;
    char *s;              /* J_STR bytes (UTF-8, may hold NUL) */
    size_t len;
    struct jv *v;         /* J_ARR items, J_OBJ values */
    struct jv *k;         /* J_OBJ keys (J_STR) */
    size_t n;
} jv;

struct jp {
    const char *p, *end;
};

static void jskip(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' ||
                             *j->p == '\r'))
        j->p++;
}

static void jutf8(char **o, unsigned long c)
{
    char *q = *o;
    if (c < 0x80) {
        *q++ = (char)c;
    } else if (c < 0x800) {
        *q++ = (char)(0xc0 | c >> 6);
        *q++ = (char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        *q++ = (char)(0xe0 | c >> 12);
        *q++ = (char)(0x80 | ((c >> 6) & 0x3f));
        *q++ = (char)(0x80 | (c & 0x3f));
    } else {
        *q++ = (char)(0xf0 | c >> 18);
        *q++ = (char)(0x80 | ((c >> 12) & 0x3f));
        *q++ = (char)(0x80 | ((c >> 6) & 0x3f));
        *q++ = (char)(0x80 | (c & 0x3f));
    }
    *o = q;
}

static unsigned long jhex4(struct jp *j)
{
    unsigned long c = 0;
    assert_true(j->end - j->p >= 4);
    for (int i = 0; i < 4; i++) {
        char h = *j->p++;
        int d = h >= '0' && h <= '9' ? h - '0'
              : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0)
            fail_msg("bad \\u escape");
        c = c * 16 + (unsigned long)d;
    }
    return c;
}

static void jparse(struct jp *j, jv *out);

static void jstring(struct jp *j, jv *out)
{
    const char *start;
    char *q;

    memset(out, 0, sizeof *out);
    assert_true(*j->p == '"');
    start = ++j->p;
    while (j->p < j->end && *j->p != '"')
        j->p += *j->p == '\\' ? 2 : 1;
    assert_true(j->p < j->end);
    /* Escapes only shrink the text, so its length is enough. */
    out->t = J_STR;
    out->s = q = malloc((size_t)(j->p - start) + 1);
    assert_non_null(q);
    j->p = start;
    while (*j->p != '"') {
        char c = *j->p++;
        if (c != '\\') {
            *q++ = c;
            continue;
        }
        c = *j->p++;
        switch (c) {
        case 'n': *q++ = '\n'; break;
        case 'r': *q++ = '\r'; break;
        case 't': *q++ = '\t'; break;
        case 'b': *q++ = '\b'; break;
        case 'f': *q++ = '\f'; break;
        case 'u': {
            unsigned long u = jhex4(j);
            if (u >= 0xd800 && u < 0xdc00 && j->p[0] == '\\' && j->p[1] == 'u') {
                unsigned long lo;
                j->p += 2;
                lo = jhex4(j);
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            jutf8(&q, u);
            break;
        }
        default: *q++ = c; break;   /* " \ / */
        }
    }
    j->p++;
    out->len = (size_t)(q - out->s);
    *q = '\0';
}

static void jpush(jv **arr, size_t n, const jv *item)
{
    *arr = realloc(*arr, (n + 1) * sizeof **arr);
    assert_non_null(*arr);
    (*arr)[n] = *item;
}

static void jparse(struct jp *j, jv *out)
{
    memset(out, 0, sizeof *out);
    jskip(j);
    assert_true(j->p < j->end);
    if (*j->p == '"') {
        jstring(j, out);
    } else if (*j->p == '[' || *j->p == '{') {
        int obj = *j->p++ == '{';
        out->t = obj ? J_OBJ : J_ARR;
        jskip(j);
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            return;
        }
        for (;;) {
            jv item;
            if (obj) {
                jv key;
                jskip(j);
                jstring(j, &key);
                jpush(&out->k, out->n, &key);
                jskip(j);
                assert_true(*j->p++ == ':');
            }
            jparse(j, &item);
            jpush(&out->v, out->n, &item);
            out->n++;
            jskip(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            assert_true(*j->p++ == (obj ? '}' : ']'));
            return;
        }
    } else if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
        out->t = J_BOOL;
        out->b = *j->p == 't';
        j->p += out->b ? 4 : 5;
    } else if (strncmp(j->p, "null", 4) == 0) {
        out->t = J_NULL;
        j->p += 4;
    } else {
        char *e;
        out->t = J_NUM;
        (void)strtod(j->p, &e);
        assert_true(e > j->p);
        j->p = e;
    }
}

static void jfree(jv *v)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->t == J_OBJ)
            jfree(&v->k[i]);
        jfree(&v->v[i]);
    }
    free(v->s);
    free(v->v);
    free(v->k);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void jload(const char *path, jv *out)
{
    size_t len;
    char *text = slurp(path, &len);
    struct jp j = { text, text + len };
    jparse(&j, out);
    jskip(&j);
    assert_true(j.p == j.end);
    free(text);
}

static const jv *jget(const jv *obj, const char *key)
{
    assert_int_equal(obj->t, J_OBJ);
    for (size_t i = 0; i < obj->n; i++)
        if (strlen(key) == obj->k[i].len && memcmp(obj->k[i].s, key,
                                                   obj->k[i].len) == 0)
            return &obj->v[i];
    return NULL;
}

/* ---- reading a CSV file into comparable records ---- */

/* What the reader made of one input: records as arrays of J_STR, and the
 * error that stopped it (code 0 = read to the end). */
struct result {
    jv records;           /* J_ARR of J_ARR of J_STR */
    cs_error err;
};

static void read_csv(const char *path, int keep_empty, struct result *res)
{
    cs_reader *r = NULL;
    const cs_record *rec;
    cs_read_opts o = { keep_empty };
    int rc;

    memset(res, 0, sizeof *res);
    res->records.t = J_ARR;
    if (cs_reader_open(&r, path, &o, &res->err) < 0)
        return;
    while ((rc = cs_reader_next(r, &rec, &res->err)) > 0) {
        jv row = { .t = J_ARR };
        for (size_t i = 0; i < rec->nfields; i++) {
            jv f = { .t = J_STR, .len = rec->fields[i].len };
            f.s = malloc(f.len + 1);
            assert_non_null(f.s);
            memcpy(f.s, rec->fields[i].ptr, f.len);
            jpush(&row.v, row.n++, &f);
        }
        jpush(&res->records.v, res->records.n++, &row);
    }
    cs_reader_free(r);
}

static int str_eq(const jv *a, const jv *b)
{
    return a->t == J_STR && b->t == J_STR && a->len == b->len &&
           memcmp(a->s, b->s, a->len) == 0;
}

/* Records equal, optionally only the first `limit` of the expected ones. */
static int rows_equal(const jv *got, const jv *want, size_t limit)
{
    size_t n = want->n < limit ? want->n : limit;

    if (got->n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const jv *g = &got->v[i], *w = &want->v[i];
        if (w->t != J_ARR || g->n != w->n)
            return 0;
        for (size_t k = 0; k < w->n; k++)
            if (!str_eq(&g->v[k], &w->v[k]))
                return 0;
    }
    return 1;
}

/* ---- deliberate deviations ---- */

static const struct deviation {
    const char *suite, *id;
    int code;                 /* what we do instead */
    unsigned long line, col;
    size_t records;           /* records read (and matching) before it */
    const char *msg;
    const char *why;
} deviations[] = {
    { "csv-spectrum", "location_coordinates", CS_EPARSE, 2, 2, 1,
      "malformed quoted field",
      "bare '\"' inside an unquoted field (37'37.8\"N); CSV_STRICT rejects "
      "it instead of guessing (its JSON is broken upstream as well)" },
    { "commons-csv", "test_rfc4180", CS_EPARSE, 7, 2, 6,
      "malformed quoted field",
      "' \" j \" ' has spaces around a quoted field; CSV_STRICT rejects it "
      "rather than keeping the quotes as data" },
    { "commons-csv", "test_default", CS_EPARSE, 7, 2, 6,
      "malformed quoted field",
      "same input line as test_rfc4180 (spaces around quotes)" },
};

static const struct deviation *find_deviation(const char *suite,
                                              const char *id)
{
    for (size_t i = 0; i < sizeof deviations / sizeof deviations[0]; i++)
        if (strcmp(deviations[i].suite, suite) == 0 &&
            strcmp(deviations[i].id, id) == 0)
            return &deviations[i];
    return NULL;
}

struct tally {
    unsigned pass, allowed_error, deviation, fail;
};

static struct tally total;

/* Judge one case. `want` is the expected records; `exception_allowed`
 * lets the spec accept an error instead. */
static void judge(struct tally *t, const char *suite, const char *id,
                  const struct result *res, const jv *want,
                  int exception_allowed)
{
    const struct deviation *d = find_deviation(suite, id);
    char b[600];

    if (d) {
        /* The promised behaviour, exactly, and the records before it. */
        if (res->err.code == d->code && res->err.line == d->line &&
            res->err.col == d->col && strstr(res->err.msg, d->msg) &&
            res->records.n == d->records &&
            (!want || rows_equal(&res->records, want, d->records))) {
            t->deviation++;
            print_message("  deviation %s/%s: %s\n", suite, id, d->why);
            return;
        }
        t->fail++;
        print_message("FAIL %s/%s: listed as a deviation but got %zu records,"
                      " %s\n", suite, id, res->records.n,
                      cs_error_format(&res->err, b, sizeof b));
        return;
    }
    if (res->err.code == CS_OK && want && rows_equal(&res->records, want,
                                                     (size_t)-1)) {
        t->pass++;
        return;
    }
    if (res->err.code == CS_EPARSE && exception_allowed) {
        t->allowed_error++;
        print_message("  allowed error %s/%s: %s\n", suite, id,
                      cs_error_format(&res->err, b, sizeof b));
        return;
    }
    t->fail++;
    print_message("FAIL %s/%s: %zu records, %s\n", suite, id, res->records.n,
                  res->err.code ? cs_error_format(&res->err, b, sizeof b)
                                : "no error");
}

static void report(const char *suite, const struct tally *t)
{
    print_message("%s: %u pass, %u allowed errors, %u deliberate deviations, "
                  "%u fail\n", suite, t->pass, t->allowed_error, t->deviation,
                  t->fail);
    total.pass += t->pass;
    total.allowed_error += t->allowed_error;
    total.deviation += t->deviation;
    total.fail += t->fail;
}

/* ---- csv-spectrum: header mode, objects keyed by the header ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_csv_spectrum(void **state)
{
    struct tally t = {0};
    DIR *dir = opendir(CONF "csv-spectrum/csvs");
    struct dirent *e;
    char *names[64];
    size_t nn = 0;
    (void)state;

    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".csv") == 0) {
            assert_true(nn < 64);
            names[nn] = malloc(l - 3);
            assert_non_null(names[nn]);
            memcpy(names[nn], e->d_name, l - 4);
            names[nn++][l - 4] = '\0';
        }
    }
    closedir(dir);
    qsort(names, nn, sizeof names[0], cmp_str);
    assert_int_equal(nn, 12);

    for (size_t i = 0; i < nn; i++) {
        char csv[512], json[512];
        struct result res;
        jv want, rows = { .t = J_ARR };
        int ok;
        snprintf(csv, sizeof csv, CONF "csv-spectrum/csvs/%s.csv", names[i]);
        snprintf(json, sizeof json, CONF "csv-spectrum/json/%s.json",
                 names[i]);
        read_csv(csv, 0, &res);
        jload(json, &want);
        /* Turn the expected objects back into rows in header order: the
         * header must be the keys in order, and every row has them all.
         * rows borrows its strings from res and want. */
        ok = want.t == J_ARR && res.records.n > 0;
        if (ok) {
            const jv *hdr = &res.records.v[0];
            jv h = { .t = J_ARR };
            for (size_t k = 0; k < hdr->n; k++)
                jpush(&h.v, h.n++, &hdr->v[k]);
            jpush(&rows.v, rows.n++, &h);
            for (size_t r = 0; r < want.n && ok; r++) {
                const jv *o = &want.v[r];
                jv row = { .t = J_ARR };
                ok = o->t == J_OBJ && o->n == hdr->n;
                for (size_t k = 0; ok && k < o->n; k++) {
                    ok = str_eq(&o->k[k], &hdr->v[k]);
                    jpush(&row.v, row.n++, &o->v[k]);
                }
                jpush(&rows.v, rows.n++, &row);
            }
        }
        judge(&t, "csv-spectrum", names[i], &res, ok ? &rows : NULL, 0);
        for (size_t r = 0; r < rows.n; r++)
            free(rows.v[r].v);
        free(rows.v);
        jfree(&want);
        jfree(&res.records);
        free(names[i]);
    }
    report("csv-spectrum", &t);
    assert_int_equal(t.fail, 0);
}

/* ---- fastcsv-spec: every commentMode NONE variant ---- */

static void test_fastcsv_spec(void **state)
{
    struct tally t = {0};
    jv index;
    const jv *cases;
    size_t applicable = 0;
    (void)state;

    jload(CONF "fastcsv-spec/expanded/index.json", &index);
    cases = jget(&index, "cases");
    assert_non_null(cases);
    for (size_t i = 0; i < cases->n; i++) {
        const jv *c = &cases->v[i], *settings = jget(c, "settings");
        const jv *mode = settings ? jget(settings, "commentMode") : NULL;
        const jv *skip = settings ? jget(settings, "skipEmptyLines") : NULL;
        const jv *exc = jget(c, "exception_allowed");
        const jv *id = jget(c, "id"), *in = jget(c, "input"),
                 *exp = jget(c, "expected_records");
        char csv[512], json[512];
        struct result res;
        jv want;
        /* libcsv has no comments: only '#'-is-data variants apply */
        if (mode && !(mode->len == 4 && memcmp(mode->s, "NONE", 4) == 0))
            continue;
        applicable++;
        snprintf(csv, sizeof csv, CONF "fastcsv-spec/%s", in->s);
        snprintf(json, sizeof json, CONF "fastcsv-spec/%s", exp->s);
        read_csv(csv, !(skip && skip->b), &res);
        jload(json, &want);
        judge(&t, "fastcsv-spec", id->s, &res, &want, exc && exc->b);
        jfree(&want);
        jfree(&res.records);
    }
    jfree(&index);
    /* 19 comments-none variants + the 51 checks without a comment mode */
    assert_int_equal(applicable, 70);
    report("fastcsv-spec", &t);
    assert_int_equal(t.fail, 0);
}

/* ---- fastcsv-spec/bom: UTF-8 with and without BOM read the same; UTF-16
 * and UTF-32 are refused, never parsed as NUL-interleaved bytes ---- */

static void test_fastcsv_bom(void **state)
{
    static const char *const utf8[] = { "utf8_bom", "utf8_nobom" };
    static const char *const wide[] = { "utf16be_bom", "utf16le_bom",
                                        "utf32be_bom", "utf32le_bom" };
    struct tally t = {0};
    jv want = { .t = J_ARR };
    (void)state;

    {
        /* upstream CsvReaderBomHeaderTest: two records */
        static const char *const f[2][2] = { { "foo", "\xc3\xbc\xc3\x9c\xc3\x9f" },
                                             { "123", "456" } };
        for (int r = 0; r < 2; r++) {
            jv row = { .t = J_ARR };
            for (int k = 0; k < 2; k++) {
                jv s = { .t = J_STR, .len = strlen(f[r][k]) };
                s.s = malloc(s.len + 1);
                assert_non_null(s.s);
                memcpy(s.s, f[r][k], s.len + 1);
                jpush(&row.v, row.n++, &s);
            }
            jpush(&want.v, want.n++, &row);
        }
    }
    for (size_t i = 0; i < 2; i++) {
        char csv[512];
        struct result res;
        snprintf(csv, sizeof csv, CONF "fastcsv-spec/bom/%s.csv", utf8[i]);
        read_csv(csv, 0, &res);
        judge(&t, "fastcsv-bom", utf8[i], &res, &want, 0);
        jfree(&res.records);
    }
    for (size_t i = 0; i < 4; i++) {
        char csv[512];
        struct result res;
        snprintf(csv, sizeof csv, CONF "fastcsv-spec/bom/%s.csv", wide[i]);
        read_csv(csv, 0, &res);
        if (res.err.code == CS_EPARSE && res.records.n == 0 &&
            strstr(res.err.msg, "UTF-16 or UTF-32 text is not supported")) {
            t.pass++;
        } else {
            t.fail++;
            print_message("FAIL fastcsv-bom/%s: not refused\n", wide[i]);
        }
        jfree(&res.records);
    }
    jfree(&want);
    report("fastcsv-spec/bom", &t);
    assert_int_equal(t.fail, 0);
}

/* ---- commons-csv: the control files that need no trimming or comments,
 * and bom.csv ---- */

static void test_commons_csv(void **state)
{
    static const struct {
        const char *control;
        int keep_empty;       /* IgnoreEmpty=true reads as 0 */
    } controls[] = {
        { "test_rfc4180", 1 },
        { "test_default", 0 },
    };
    struct tally t = {0};
    (void)state;

    for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
        char json[512], csv[512];
        const jv *recs, *input;
        jv ctl, want = { .t = J_ARR };
        struct result res;
        snprintf(json, sizeof json, CONF "commons-csv-fileparser/derived/%s.json",
                 controls[i].control);
        jload(json, &ctl);
        input = jget(&ctl, "input_file");
        recs = jget(&ctl, "records");
        assert_non_null(input);
        assert_non_null(recs);
        for (size_t r = 0; r < recs->n; r++)
            jpush(&want.v, want.n++, jget(&recs->v[r], "fields"));
        snprintf(csv, sizeof csv, CONF "commons-csv-fileparser/%s", input->s);
        read_csv(csv, controls[i].keep_empty, &res);
        judge(&t, "commons-csv", controls[i].control, &res, &want, 0);
        free(want.v);   /* borrowed from ctl */
        jfree(&ctl);
        jfree(&res.records);
    }

    {
        /* bom.csv: the BOM is skipped, so the first column is "Date";
         * spaces after commas are kept (" Open"); 251 rows of 6 fields. */
        struct result res;
        int ok;
        read_csv(CONF "commons-csv-fileparser/bom.csv", 0, &res);
        ok = res.err.code == CS_OK && res.records.n == 252;
        for (size_t r = 0; ok && r < res.records.n; r++)
            ok = res.records.v[r].n == 6;
        ok = ok && res.records.v[0].v[0].len == 4 &&
             memcmp(res.records.v[0].v[0].s, "Date", 4) == 0 &&
             res.records.v[0].v[1].len == 5 &&
             memcmp(res.records.v[0].v[1].s, " Open", 5) == 0;
        if (ok) {
            t.pass++;
        } else {
            t.fail++;
            print_message("FAIL commons-csv/bom.csv\n");
        }
        jfree(&res.records);
    }
    report("commons-csv", &t);
    assert_int_equal(t.fail, 0);
}

static void test_summary(void **state)
{
    (void)state;
    print_message("conformance: %u cases pass, %u pass by an allowed error, "
                  "%u deliberate deviations, %u fail\n", total.pass,
                  total.allowed_error, total.deviation, total.fail);
    assert_int_equal(total.fail, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_spectrum),
        cmocka_unit_test(test_fastcsv_spec),
        cmocka_unit_test(test_fastcsv_bom),
        cmocka_unit_test(test_commons_csv),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
