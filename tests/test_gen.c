/* Tests of src/gen.c: the files are reproducible, follow DATA.md (header,
 * field counts, ranges, sort order, the join rule), fail cleanly, and a
 * logistic regression on their complete cases recovers the planted
 * coefficients. The files are read back with zlib and split on commas:
 * the generator never quotes, so a comma inside a field would show up as a
 * wrong field count. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <zlib.h>

#include <crampstat/derive.h>
#include <crampstat/gen.h>
#include <crampstat/schema.h>
#include <crampstat/sha256.h>

#define MAX_FIELDS 32
#define DIR_CAP 1024     /* a temporary directory's name */
#define PATH_CAP 2048    /* a file in it */

/* Participants of the model-recovery test: 4000 give about 100,000
 * sessions, enough to tell the planted coefficients apart from 0.25 off,
 * in well under a second. Raise it for a closer look at bias. */
#ifndef FIT_PARTICIPANTS
#define FIT_PARTICIPANTS 4000
#endif

static const char survey_header[] =
    "participant_id,survey_date,sex,age_years,height_ft,height_in,"
    "weight_lb,activity_level,conditioning,seasonal_sport,stretch_routine,"
    "conditions,calorie_goal,calcium_mg,potassium_mg";
static const char exercise_header[] =
    "participant_id,session_id,start_time,activity,duration_min,"
    "intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,"
    "cramp,cramp_muscle";

/* ---- Files ---------------------------------------------------------- */

static void make_dir(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");

    snprintf(out, cap, "%s/test_gen.XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(out));
}

static void path_in(char *out, size_t cap, const char *dir, const char *n)
{
    snprintf(out, cap, "%s/%s", dir, n);
}

static void remove_dir(const char *dir)
{
    char p[PATH_CAP];

    path_in(p, sizeof p, dir, "survey.csv.gz");
    unlink(p);
    path_in(p, sizeof p, dir, "exercise.csv.gz");
    unlink(p);
    assert_int_equal(rmdir(dir), 0);   /* fails if anything was left */
}

/* The raw bytes of a file. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    assert_non_null(f);
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r);
    fclose(f);
    *len = n;
    return buf;
}

/* The decompressed text, NUL-terminated. */
static char *gunzip(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int r;

    assert_non_null(gz);
    do {
        if (cap - n < 65537) {
            cap = cap ? cap * 2 : 1 << 20;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        r = gzread(gz, buf + n, 65536);
        assert_true(r >= 0);
        n += (size_t)r;
    } while (r > 0);
    assert_int_equal(gzclose(gz), Z_OK);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Split one line (modified in place) on commas. */
static int split(char *line, char **f)
{
    int n = 0;

    f[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == ',') {
            *p = '\0';
            if (n == MAX_FIELDS)
                return -1;
            f[n++] = p + 1;
        }
    }
    return n;
}

/* Call fn for every data row; checks the header and that every line ends
 * in \n. Returns the number of data rows. */
typedef void (*row_fn)(char **f, int n, unsigned long line, void *payload);

static size_t each_row(char *text, size_t len, const char *header,
                       int nfields, row_fn fn, void *payload)
{
    char *f[MAX_FIELDS], *p = text, *end = text + len;
    unsigned long line = 0;
    size_t rows = 0;

    assert_true(len > 0 && text[len - 1] == '\n');
    assert_null(memchr(text, '"', len));    /* never quotes */
    assert_null(memchr(text, '\r', len));
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        *nl = '\0';
        line++;
        if (line == 1) {
            assert_string_equal(p, header);
        } else {
            int n = split(p, f);
            if (n != nfields)
                fail_msg("line %lu has %d fields, not %d", line, n, nfields);
            fn(f, n, line, payload);
            rows++;
        }
        p = nl + 1;
    }
    return rows;
}

static void write_run(const cs_gen_opts *o, const char *dir,
                      cs_gen_stats *st)
{
    cs_error err = {0};
    int rc = cs_gen_write(o, dir, st, &err);

    if (rc != CS_OK)
        fail_msg("cs_gen_write: %d %s", rc, err.msg);
}

/* ---- Value checks --------------------------------------------------- */

static int is_missing(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, "N/A");
}

static int is_bool(const char *s)
{
    return !strcmp(s, "yes") || !strcmp(s, "no");
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *e;
    double v;

    if (!*s || *s == ' ' || *s == '+')
        return 0;
    errno = 0;
    v = strtod(s, &e);
    if (*e || errno || !(v >= lo && v <= hi))
        return 0;
    if (out)
        *out = v;
    return 1;
}

static int integer(const char *s, long lo, long hi, long *out)
{
    char *e;
    long v;

    if (!*s || *s == ' ' || *s == '+')
        return 0;
    errno = 0;
    v = strtol(s, &e, 10);
    if (*e || errno || v < lo || v > hi)
        return 0;
    if (out)
        *out = v;
    return 1;
}

static int32_t days_from_civil(int y, int m, int d)
{
    int32_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n decimal digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DD at the start of s; the day number. */
static int parse_date(const char *s, int32_t *day)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                 30, 31 };
    int y, m, d, leap;

    if (strnlen(s, 10) < 10 || s[4] != '-' || s[7] != '-')
        return 0;
    y = digits(s, 4);
    m = digits(s + 5, 2);
    d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1)
        return 0;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && !leap && d > 28))
        return 0;
    *day = days_from_civil(y, m, d);
    return 1;
}

/* DATA.md section 2: YYYY-MM-DDThh:mm[:ss][Z or +-hh:mm]. */
static int valid_time(const char *s)
{
    int32_t day;
    size_t n = strlen(s), i = 16;
    int hh, mm;

    if (n < 16 || !parse_date(s, &day) || s[10] != 'T' || s[13] != ':')
        return 0;
    hh = digits(s + 11, 2);
    mm = digits(s + 14, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return 0;
    if (i < n && s[i] == ':') {
        int ss = n >= 19 ? digits(s + 17, 2) : -1;
        if (ss < 0 || ss > 59)
            return 0;
        i = 19;
    }
    if (i == n)
        return 1;
    if (s[i] == 'Z')
        return i + 1 == n;
    if ((s[i] != '+' && s[i] != '-') || n != i + 6 || s[i + 3] != ':')
        return 0;
    hh = digits(s + i + 1, 2);
    mm = digits(s + i + 4, 2);
    return hh >= 0 && hh <= 14 && mm >= 0 && mm < 60;
}

static int name_index(const char *s, const char *(*name)(int), int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, name(i)))
            return i;
    return -1;
}

/* ---- What the rows say, for the checks and for the model ------------ */

#define MAX_WAVES 3

typedef struct twave {
    int32_t day;
    int sex, act, cond, seasonal;
    int med;            /* -1 unknown (NA) */
    int preg;
    long ca, k;         /* -1 unknown */
} twave;

typedef struct person_waves {
    int n;
    twave w[MAX_WAVES];
} person_waves;

typedef struct check {
    person_waves *people;      /* indexed by the number in P0000001 */
    unsigned long npeople;
    /* Seen, to show the files exercise each case of the contract. */
    unsigned long goal_number, goal_text, cond_na, multi_cond, miss_tokens[3];
    unsigned long tz_z, tz_offset, no_seconds, waves_after_session;
    unsigned long earliest_rule, other_muscle, muscle_unknown, hamstring;
    unsigned long sessions, cramp_yes;
    /* Exercise order. */
    unsigned long last_pid;
    char last_time[32];
    char last_sid[32];
    /* 64 exposure patterns x (sessions, hamstring cases), complete cases. */
    double cell_n[64], cell_y[64];
} check;

static unsigned long pid_number(const char *s)
{
    char *e;
    unsigned long v;

    if (s[0] != 'P' || strlen(s) < 8)
        return 0;
    v = strtoul(s + 1, &e, 10);
    return *e ? 0 : v;
}

static void check_survey_row(char **f, int n, unsigned long line, void *pl)
{
    check *c = pl;
    unsigned long id = pid_number(f[0]);
    person_waves *pw;
    twave w = { 0 };
    long age, ft, in;
    double lb;

    (void)n;
    if (!id || id > c->npeople)
        fail_msg("line %lu: participant_id %s", line, f[0]);
    pw = &c->people[id];
    if (!parse_date(f[1], &w.day) || strlen(f[1]) != 10)
        fail_msg("line %lu: survey_date %s", line, f[1]);
    /* Waves of a participant are in date order. */
    if (pw->n && !(w.day > pw->w[pw->n - 1].day))
        fail_msg("line %lu: wave out of order", line);
    if (pw->n == MAX_WAVES)
        fail_msg("line %lu: more than %d waves", line, MAX_WAVES);
    w.sex = name_index(f[2], cs_sex_name, CS_SEX_N);
    assert_true(w.sex >= 0);
    assert_true(integer(f[3], 10, 110, &age));
    assert_true(integer(f[4], 3, 8, &ft));
    assert_true(integer(f[5], 0, 11, &in));
    assert_true(num(f[6], 50, 700, &lb));
    w.act = name_index(f[7], cs_activity_name, CS_ACT_N);
    w.cond = name_index(f[8], cs_conditioning_name, CS_COND_N);
    assert_true(w.act >= 0 && w.cond >= 0);
    assert_true(is_bool(f[9]) && is_bool(f[10]));
    w.seasonal = !strcmp(f[9], "yes");
    if (is_missing(f[11]) && f[11][0]) {
        w.med = -1;
        c->cond_na++;
    } else {
        char *p = f[11];
        int count = 0;
        while (*p) {
            char *semi = strchr(p, ';');
            int m;
            if (semi)
                *semi = '\0';
            m = name_index(p, cs_medical_name, CS_MED_N);
            if (m < 0)
                fail_msg("line %lu: condition \"%s\"", line, p);
            if (m == CS_MED_PREGNANCY) {
                assert_int_equal(w.sex, CS_SEX_F);
                w.preg = 1;
            }
            count++;
            p = semi ? semi + 1 : p + strlen(p);
        }
        w.med = count > 0;
        c->multi_cond += count > 1;
    }
    if (name_index(f[12], cs_goal_text, CS_GOAL_N) >= 0) {
        c->goal_text++;
    } else {
        double g;
        if (!num(f[12], -2, 2, &g) || cs_goal_index(g) < 0)
            fail_msg("line %lu: calorie_goal \"%s\"", line, f[12]);
        c->goal_number++;
    }
    w.ca = w.k = -1;
    if (!is_missing(f[13]))
        assert_true(integer(f[13], 0, 10000, &w.ca));
    if (!is_missing(f[14]))
        assert_true(integer(f[14], 0, 10000, &w.k));
    pw->w[pw->n++] = w;
}

static void check_exercise_row(char **f, int n, unsigned long line,
                               void *pl)
{
    check *c = pl;
    unsigned long id = pid_number(f[0]);
    const person_waves *pw;
    const twave *w;
    int32_t day;
    long rpe = 0, hum = 0, warm = 0;
    double dur = 0, temp = 0, fluid = 0;
    int k, x[CS_GEN_FACTOR_N], known = 1, cramp, ham = 0, pattern = 0;

    (void)n;
    if (!id || id > c->npeople || !c->people[id].n)
        fail_msg("line %lu: no survey row for %s", line, f[0]);
    pw = &c->people[id];
    /* Session ids are unique: they only ever increase. */
    if (c->last_sid[0] && strcmp(f[1], c->last_sid) <= 0)
        fail_msg("line %lu: session_id %s after %s", line, f[1],
                 c->last_sid);
    snprintf(c->last_sid, sizeof c->last_sid, "%s", f[1]);
    if (!valid_time(f[2]))
        fail_msg("line %lu: start_time %s", line, f[2]);
    /* Participant-major, by start time within a participant. One
     * participant keeps one time style, so the text compares. */
    if (id < c->last_pid)
        fail_msg("line %lu: participant order", line);
    if (id == c->last_pid && strcmp(f[2], c->last_time) <= 0)
        fail_msg("line %lu: start_time %s not after %s", line, f[2],
                 c->last_time);
    c->last_pid = id;
    snprintf(c->last_time, sizeof c->last_time, "%s", f[2]);
    c->tz_z += strchr(f[2], 'Z') != NULL;
    c->tz_offset += strlen(f[2]) > 20;
    c->no_seconds += strlen(f[2]) == 16;

    assert_true(f[3][0] && strlen(f[3]) <= 64);
    assert_true(num(f[4], 10, 180, &dur));   /* DATA.md: 0 < x <= 1440 */
    assert_true(integer(f[5], 1, 10, &rpe));
    for (int i = 6; i <= 12; i++) {
        if (!f[i][0])
            c->miss_tokens[0]++;
        else if (!strcmp(f[i], "NA"))
            c->miss_tokens[1]++;
        else if (!strcmp(f[i], "N/A"))
            c->miss_tokens[2]++;
    }
    if (is_missing(f[6]))
        known = 0;
    else
        assert_true(num(f[6], -40, 60, &temp));
    if (is_missing(f[7]))
        known = 0;
    else
        assert_true(integer(f[7], 0, 100, &hum));
    if (is_missing(f[8]))
        known = 0;
    else
        assert_true(num(f[8], 0, 10000, &fluid));
    if (is_missing(f[9]))
        known = 0;
    else
        assert_true(integer(f[9], 0, 240, &warm));
    if (is_missing(f[10]))
        known = 0;
    else
        assert_true(is_bool(f[10]));
    assert_true(is_bool(f[11]));
    cramp = !strcmp(f[11], "yes");
    c->cramp_yes += (unsigned long)cramp;
    if (!cramp) {
        assert_string_equal(f[12], "");
    } else if (is_missing(f[12])) {
        known = 0;
        c->muscle_unknown++;
    } else {
        static const char *const muscles[] = { "hamstring", "calf",
            "quadriceps", "foot", "other" };
        int m = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(f[12], muscles[i]))
                m = i;
        assert_true(m >= 0);
        ham = m == 0;
        c->hamstring += (unsigned long)ham;
        c->other_muscle += (unsigned long)(m > 0);
    }
    c->sessions++;

    /* DATA.md section 3: the latest wave on or before the day as written,
     * else the earliest. */
    assert_true(parse_date(f[2], &day));
    k = 0;
    while (k + 1 < pw->n && pw->w[k + 1].day <= day)
        k++;
    c->earliest_rule += pw->w[0].day > day;
    c->waves_after_session += pw->w[pw->n - 1].day > day;
    w = &pw->w[k];
    if (w->med < 0 || w->ca < 0 || w->k < 0)
        known = 0;
    if (!known)
        return;
    /* DATA.md section 5 defaults, on the complete cases. */
    x[CS_GEN_FATIGUE] = w->cond == CS_COND_UNCONDITIONED
                        || (w->seasonal && rpe >= 7)
                        || (dur >= 90 && rpe >= 7);
    x[CS_GEN_TIGHTNESS] = w->act == CS_ACT_SEDENTARY
                          || (!strcmp(f[10], "no") && warm < 5);
    x[CS_GEN_HEAT] = cs_heat_index_c(temp, (double)hum) >= 32.0;
    x[CS_GEN_DEHYDRATION] = dur >= 30 && fluid / (dur / 60.0) < 400.0;
    x[CS_GEN_ELECTROLYTE] = w->ca < 700 || w->k < 2000;
    x[CS_GEN_MEDICAL] = w->med;
    for (int i = 0; i < CS_GEN_FACTOR_N; i++)
        pattern |= x[i] << i;
    c->cell_n[pattern] += 1;
    c->cell_y[pattern] += ham;
}

/* Generate into a fresh directory and read both files back. */
static void read_run(const cs_gen_opts *o, check *c, cs_gen_stats *st)
{
    char dir[DIR_CAP], p[PATH_CAP], *text;
    size_t len, rows;

    memset(c, 0, sizeof *c);
    c->npeople = (unsigned long)o->participants;
    c->people = calloc(c->npeople + 1, sizeof *c->people);
    assert_non_null(c->people);
    make_dir(dir, sizeof dir);
    write_run(o, dir, st);

    path_in(p, sizeof p, dir, "survey.csv.gz");
    text = gunzip(p, &len);
    rows = each_row(text, len, survey_header, 15, check_survey_row, c);
    assert_int_equal(rows, st->survey_rows);
    free(text);

    path_in(p, sizeof p, dir, "exercise.csv.gz");
    text = gunzip(p, &len);
    rows = each_row(text, len, exercise_header, 13, check_exercise_row, c);
    assert_int_equal(rows, st->exercise_rows);
    free(text);
    remove_dir(dir);
}

/* ---- Tests ---------------------------------------------------------- */

static void test_gen_reproducible(void **state)
{
    static const char *const files[] = { "survey.csv.gz", "exercise.csv.gz" };
    cs_gen_opts o;
    cs_gen_stats s1, s2;
    char d1[DIR_CAP], d2[DIR_CAP], p1[PATH_CAP], p2[PATH_CAP];

    (void)state;
    cs_gen_opts_init(&o);
    o.participants = 50;
    o.seed = 42;
    make_dir(d1, sizeof d1);
    make_dir(d2, sizeof d2);
    write_run(&o, d1, &s1);
    write_run(&o, d2, &s2);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_int_equal(s1.participants, 50);
    assert_true(s1.survey_rows >= 50);
    for (int i = 0; i < 2; i++) {
        size_t n1, n2;
        char *b1, *b2;
        path_in(p1, sizeof p1, d1, files[i]);
        path_in(p2, sizeof p2, d2, files[i]);
        b1 = slurp(p1, &n1);
        b2 = slurp(p2, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(b1, b2, n1);
        /* gzip header: magic, deflate, no flags, mtime 0. */
        assert_true(n1 > 18);
        assert_int_equal((unsigned char)b1[0], 0x1f);
        assert_int_equal((unsigned char)b1[1], 0x8b);
        assert_int_equal(b1[3], 0);
        assert_int_equal(b1[4] | b1[5] | b1[6] | b1[7], 0);
        free(b1);
        free(b2);
    }
    remove_dir(d1);
    remove_dir(d2);
}

static void test_gen_seed_changes_bytes(void **state)
{
    /* 2^32 + 42 must not alias 43 or 42 (mt19937 takes 32 bits). */
    static const uint64_t seeds[] = { 42, 43, 4294967338u, 0 };
    char *bytes[4];
    size_t lens[4];

    (void)state;
    for (int i = 0; i < 4; i++) {
        cs_gen_opts o;
        cs_gen_stats st;
        char d[DIR_CAP], p[PATH_CAP];
        cs_gen_opts_init(&o);
        o.participants = 20;
        o.seed = seeds[i];
        make_dir(d, sizeof d);
        write_run(&o, d, &st);
        path_in(p, sizeof p, d, "exercise.csv.gz");
        bytes[i] = slurp(p, &lens[i]);
        remove_dir(d);
    }
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_false(lens[i] == lens[j]
                         && !memcmp(bytes[i], bytes[j], lens[i]));
    for (int i = 0; i < 4; i++)
        free(bytes[i]);
}

/* Headers, field counts, ranges, order, join rule; and that a few hundred
 * participants already show every case the readers must handle. */
static void test_gen_rows_follow_contract(void **state)
{
    cs_gen_opts o;
    cs_gen_stats st;
    check c;

    (void)state;
    cs_gen_opts_init(&o);
    o.participants = 300;
    o.seed = 7;
    read_run(&o, &c, &st);
    print_message("sessions %lu, survey rows %lu\n",
                  (unsigned long)st.exercise_rows,
                  (unsigned long)st.survey_rows);
    assert_int_equal(st.participants, 300);
    for (unsigned long i = 1; i <= c.npeople; i++)
        assert_true(c.people[i].n >= 1);   /* every participant surveyed */
    assert_true(st.survey_rows > 300);      /* some have later waves */
    /* Mean 25 sessions per participant. */
    assert_true(st.exercise_rows > 300 * 20 && st.exercise_rows < 300 * 30);
    assert_true(c.goal_number > 0 && c.goal_text > 9 * c.goal_number / 2);
    assert_true(c.cond_na > 0 && c.multi_cond > 0);
    for (int i = 0; i < 3; i++)
        assert_true(c.miss_tokens[i] > 0);
    assert_true(c.tz_z > 0 && c.tz_offset > 0 && c.no_seconds > 0);
    assert_true(c.earliest_rule > 0 && c.waves_after_session > 0);
    assert_true(c.other_muscle > 0 && c.muscle_unknown > 0);
    /* Masking only hides hamstring cramps, never adds them. */
    assert_true(c.hamstring <= st.hamstring_cramps);
    assert_int_equal(c.cramp_yes, st.hamstring_cramps + st.other_cramps);
    free(c.people);
}

/* Fit logit P(hamstring) on the 64 exposure patterns by Newton-Raphson:
 * b[0] intercept, b[1..6] the factors. */
static void fit_logit(const double *n, const double *y, double *b)
{
    enum { P = CS_GEN_FACTOR_N + 1 };

    for (int i = 0; i < P; i++)
        b[i] = 0;
    b[0] = -3;
    for (int it = 0; it < 50; it++) {
        double h[P][P + 1] = { { 0 } }, step = 0;
        for (int cell = 0; cell < 64; cell++) {
            double x[P], eta = 0, p, wt;
            if (n[cell] == 0)
                continue;
            x[0] = 1;
            for (int f = 0; f < CS_GEN_FACTOR_N; f++)
                x[f + 1] = (cell >> f) & 1;
            for (int i = 0; i < P; i++)
                eta += b[i] * x[i];
            p = 1 / (1 + exp(-eta));
            wt = n[cell] * p * (1 - p);
            for (int i = 0; i < P; i++) {
                for (int j = 0; j < P; j++)
                    h[i][j] += wt * x[i] * x[j];
                h[i][P] += (y[cell] - n[cell] * p) * x[i];
            }
        }
        /* Gauss-Jordan on the augmented 7 x 8 system (positive
         * definite, so no pivoting is needed). */
        for (int i = 0; i < P; i++) {
            double d = h[i][i];
            assert_true(d > 0);
            for (int j = i; j <= P; j++)
                h[i][j] /= d;
            for (int r = 0; r < P; r++) {
                double m = h[r][i];
                if (r == i)
                    continue;
                for (int j = i; j <= P; j++)
                    h[r][j] -= m * h[i][j];
            }
        }
        for (int i = 0; i < P; i++) {
            b[i] += h[i][P];
            step += fabs(h[i][P]);
        }
        if (step < 1e-10)
            return;
    }
    fail_msg("logistic fit did not converge");
}

/* The point of the generator: complete-case logistic regression on the
 * written files, with factors computed by the DATA.md rules and the join
 * rule, gives back the planted coefficients (and the masking, drawn after
 * the outcome, does not bias them). */
static void test_gen_recovers_planted_model(void **state)
{
    static const char *const names[] = { "intercept", "fatigue",
        "tightness", "heat", "dehydration", "electrolyte", "medical" };
    char truth[CS_GEN_TRUTH_MAX];
    double b[CS_GEN_FACTOR_N + 1], planted[CS_GEN_FACTOR_N + 1];
    double used = 0;
    cs_gen_opts o;
    cs_gen_stats st;
    check c;

    (void)state;
    cs_gen_opts_init(&o);
    o.participants = FIT_PARTICIPANTS;
    o.seed = 2024;
    read_run(&o, &c, &st);
    for (int i = 0; i < 64; i++)
        used += c.cell_n[i];
    print_message("complete cases %.0f of %lu\n", used,
                  (unsigned long)st.exercise_rows);
    assert_true(used > 0.6 * (double)st.exercise_rows);

    /* The planted values, read from the truth JSON. */
    cs_gen_truth_json(truth, sizeof truth, &o, &st);
    for (int i = 0; i < CS_GEN_FACTOR_N + 1; i++) {
        char key[64];
        const char *at;
        snprintf(key, sizeof key, "\"%s\": ", names[i]);
        at = strstr(truth, key);
        assert_non_null(at);
        planted[i] = strtod(at + strlen(key), NULL);
    }
    assert_true(planted[0] < -3 && planted[0] > -5);
    /* Dropping the cramps whose muscle is unknown selects on the outcome:
     * like a case-control sample, it moves only the intercept, by
     * log(1 - that missing rate). */
    {
        const char *at = strstr(truth, "\"cramp_muscle\": ");
        assert_non_null(at);
        planted[0] += log(1 - strtod(at + 16, NULL));
    }

    fit_logit(c.cell_n, c.cell_y, b);
    for (int i = 0; i < CS_GEN_FACTOR_N + 1; i++) {
        print_message("%-12s expected %6.3f fitted %6.3f\n", names[i],
                      planted[i], b[i]);
        /* About 100,000 sessions: standard errors are 0.04-0.08. */
        assert_true(fabs(b[i] - planted[i]) < 0.25);
    }
    free(c.people);
}

static void test_gen_zero_sessions(void **state)
{
    cs_gen_opts o;
    cs_gen_stats st;
    check c;

    (void)state;
    cs_gen_opts_init(&o);
    o.participants = 5;
    o.sessions_per_participant = 0;
    read_run(&o, &c, &st);
    assert_int_equal(st.exercise_rows, 0);
    assert_true(st.survey_rows >= 5);
    free(c.people);
}

static const struct {
    const char *name;
    uint64_t participants;
    double mean;
    double frailty_sd;
    int code;
    const char *msg;   /* substring of err.msg */
} bad_opts[] = {
    { "no participants", 0, 25, 0, CS_EUSAGE, "participants" },
    { "too many", CS_GEN_MAX_PARTICIPANTS + 1ull, 25, 0, CS_EUSAGE,
      "participants" },
    { "negative mean", 10, -1, 0, CS_EUSAGE, "sessions per participant" },
    { "NaN mean", 10, NAN, 0, CS_EUSAGE, "sessions per participant" },
    { "huge mean", 10, 1e9, 0, CS_EUSAGE, "sessions per participant" },
    { "negative frailty", 10, 25, -0.5, CS_EUSAGE, "frailty SD" },
    { "NaN frailty", 10, 25, NAN, CS_EUSAGE, "frailty SD" },
    { "huge frailty", 10, 25, CS_GEN_MAX_FRAILTY_SD * 1.01, CS_EUSAGE,
      "frailty SD" },
};

static void test_gen_bad_options(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_opts / sizeof bad_opts[0]; i++) {
        cs_gen_opts o;
        cs_error err = {0};
        print_message("case %s\n", bad_opts[i].name);
        cs_gen_opts_init(&o);
        o.participants = bad_opts[i].participants;
        o.sessions_per_participant = bad_opts[i].mean;
        o.frailty_sd = bad_opts[i].frailty_sd;
        assert_int_equal(cs_gen_write(&o, "/nonexistent-dir", NULL, &err),
                         bad_opts[i].code);
        assert_int_equal(err.code, bad_opts[i].code);
        assert_non_null(strstr(err.msg, bad_opts[i].msg));
    }
}

static void test_gen_io_errors(void **state)
{
    cs_gen_opts o;
    cs_error err = {0};
    char d[DIR_CAP], p[PATH_CAP], q[2 * PATH_CAP];

    (void)state;
    cs_gen_opts_init(&o);
    o.participants = 3;

    /* A missing directory, or a file that is not one: CS_EIO naming the
     * directory, with strerror. */
    assert_int_equal(cs_gen_write(&o, "/nonexistent-dir/x", NULL, &err),
                     CS_EIO);
    assert_string_equal(err.src, "/nonexistent-dir/x");
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
    memset(&err, 0, sizeof err);
    assert_int_equal(cs_gen_write(&o, "/dev/null", NULL, &err), CS_EIO);
    assert_string_equal(err.src, "/dev/null");
    assert_string_equal(err.msg, "cannot write into the output directory: "
                        "Not a directory");

    /* The last step fails (a non-empty directory has the final name):
     * the error names that file and no temporary file is left. */
    memset(&err, 0, sizeof err);
    make_dir(d, sizeof d);
    path_in(p, sizeof p, d, "exercise.csv.gz");
    assert_int_equal(mkdir(p, 0777), 0);
    path_in(q, sizeof q, p, "keep");
    {
        FILE *f = fopen(q, "w");
        assert_non_null(f);
        fclose(f);
    }
    assert_int_equal(cs_gen_write(&o, d, NULL, &err), CS_EIO);
    assert_non_null(strstr(err.src, "exercise.csv.gz"));
    assert_non_null(strstr(err.msg, "cannot rename the finished output "
                           "into place"));
    assert_int_equal(unlink(q), 0);
    assert_int_equal(rmdir(p), 0);
    remove_dir(d);   /* rmdir fails if a .tmp file was left */
}

static void test_gen_truth_json(void **state)
{
    cs_gen_opts o;
    cs_gen_stats st;
    char buf[CS_GEN_TRUTH_MAX], small[16];
    size_t n, n2;
    int depth = 0;

    (void)state;
    cs_gen_opts_init(&o);
    o.seed = 99;
    o.participants = 7;
    memset(&st, 0, sizeof st);
    st.exercise_rows = 123;
    st.exposed[CS_GEN_HEAT] = 11;
    n = cs_gen_truth_json(buf, sizeof buf, &o, &st);
    assert_true(n < CS_GEN_TRUTH_MAX);
    assert_int_equal(strlen(buf), n);
    assert_int_equal(buf[n - 1], '\n');
    for (const char *s = buf; *s; s++)
        depth += (*s == '{') - (*s == '}');
    assert_int_equal(depth, 0);
    assert_non_null(strstr(buf, "\"seed\": 99,"));
    assert_non_null(strstr(buf, "\"participants\": 7,"));
    assert_non_null(strstr(buf, "\"model\": \"logit P(hamstring cramp)"));
    assert_non_null(strstr(buf, "\"intercept\": -4,"));
    assert_non_null(strstr(buf, "\"coefficients\": {\"fatigue\": 0.7, "
                                "\"tightness\": 0.5, \"heat\": 0.9, "
                                "\"dehydration\": 0.6, \"electrolyte\": 0.4, "
                                "\"medical\": 0.8}"));
    assert_non_null(strstr(buf, "\"odds_ratios\": {\"fatigue\": 2.013753"));
    assert_non_null(strstr(buf, "\"other_cramp_rate\": 0.015"));
    assert_non_null(strstr(buf, "\"missing_rates\": {\"temp_c\": 0.03"));
    assert_non_null(strstr(buf, "\"exercise_rows\": 123"));
    assert_non_null(strstr(buf, "\"heat\": 11"));
    assert_null(strstr(buf, ": nan"));   /* not "pregnancy" */
    assert_null(strstr(buf, ": inf"));
    /* snprintf semantics: the same length, truncated and terminated. */
    n2 = cs_gen_truth_json(small, sizeof small, &o, &st);
    assert_int_equal(n2, n);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, buf, sizeof small - 1);
    assert_int_equal(cs_gen_truth_json(NULL, 0, &o, NULL) < n, 1);

    /* Without frailty the truth is what it was before the option (the
     * sample data's truth.json is compared with a regenerated one); with
     * one, it states the SD and that the coefficients are conditional. */
    assert_null(strstr(buf, "frailty"));
    assert_null(strstr(buf, "\"scale\""));
    assert_null(strstr(buf, "u_i"));
    o.frailty_sd = 1.5;
    n = cs_gen_truth_json(buf, sizeof buf, &o, &st);
    assert_true(n < CS_GEN_TRUTH_MAX);
    assert_int_equal(strlen(buf), n);
    assert_non_null(strstr(buf, "\"model\": \"logit P(hamstring cramp | "
                                "participant i) = intercept + sum beta_f * "
                                "x_f + u_i, u_i ~ N(0, frailty_sd^2)"));
    assert_non_null(strstr(buf, "\"frailty_sd\": 1.5,"));
    assert_non_null(strstr(buf, "\"scale\": \"conditional on the "
                                "participant"));
    assert_non_null(strstr(buf, "\"coefficients\": {\"fatigue\": 0.7, "));
}

/* ---- Frailty -------------------------------------------------------- */

/* SHA-256 of the files of `gen --participants 300 --seed 7`, recorded with
 * the generator as it was before --frailty-sd existed (zlib 1.2.13): the
 * gzip bytes, and the text inside them. Without frailty, or with a frailty
 * SD of 0, the files must still be exactly these. */
static const struct {
    const char *file;
    const char *gz_sha256;
    const char *text_sha256;
} pre_frailty[] = {
    { "survey.csv.gz",
      "4522f9f881c241e5d31e0e23839b5b63b23f00e6b6a8ad4c07716aa9eed38e04",
      "83ae7f3522dd0fe0a0fc05e2d724344508ce8f75f465f465eb781c0a27687fd7" },
    { "exercise.csv.gz",
      "da7c4975cfa879108c333ea1a15ff5992ff95a9775b3266a5b1ba0ab56562e89",
      "ffd0969cdc01fd2322ee048e10f9c208b70329e0df6943f28006028511314bc0" },
};
#define PRE_FRAILTY_ZLIB "1.2.13"

static void file_sha256(const char *dir, const char *name, char gz[65],
                        char txt[65])
{
    char p[PATH_CAP], *text;
    cs_error err = {0};
    cs_sha256 h;
    uint64_t size;
    size_t len;

    path_in(p, sizeof p, dir, name);
    assert_int_equal(cs_sha256_file(p, gz, &size, &err), CS_OK);
    text = gunzip(p, &len);
    cs_sha256_init(&h);
    cs_sha256_update(&h, text, len);
    cs_sha256_final(&h, txt);
    free(text);
}

/* The recorded text always; the recorded gzip bytes when deflate is the
 * zlib they were recorded with (another deflate may pack the same text
 * differently). */
static int matches_pre_frailty(const char *dir)
{
    int same = 1, same_zlib = !strcmp(zlibVersion(), PRE_FRAILTY_ZLIB);

    if (!same_zlib)
        print_message("zlib %s, not %s: gzip bytes not compared with the "
                      "record\n", zlibVersion(), PRE_FRAILTY_ZLIB);
    for (size_t i = 0; i < sizeof pre_frailty / sizeof pre_frailty[0]; i++) {
        char gz[65], txt[65];
        file_sha256(dir, pre_frailty[i].file, gz, txt);
        print_message("%s gzip %s text %s\n", pre_frailty[i].file, gz, txt);
        same &= !strcmp(txt, pre_frailty[i].text_sha256);
        if (same_zlib)
            same &= !strcmp(gz, pre_frailty[i].gz_sha256);
    }
    return same;
}

#ifdef CS_GEN_BINARY
/* The command line: `crampstat gen` with the given extra arguments. */
static void run_cli(const char *dir, const char *extra)
{
    char cmd[2 * PATH_CAP];

    snprintf(cmd, sizeof cmd, "'%s' gen --participants 300 --seed 7 "
             "--out-dir '%s' %s", CS_GEN_BINARY, dir, extra);
    assert_int_equal(system(cmd), 0);
}
#endif

static void test_gen_frailty_zero_is_unchanged(void **state)
{
    static const double sds[] = { -1, 0.0 };   /* -1: left at the default */
    cs_gen_opts o;
    cs_gen_stats st;
    char d[DIR_CAP];

    (void)state;
    for (size_t i = 0; i < sizeof sds / sizeof sds[0]; i++) {
        cs_gen_opts_init(&o);
        o.participants = 300;
        o.seed = 7;
        if (sds[i] >= 0)
            o.frailty_sd = sds[i];
        make_dir(d, sizeof d);
        write_run(&o, d, &st);
        assert_true(matches_pre_frailty(d));
        remove_dir(d);
    }
    /* And the check can fail: a frailty SD above 0 changes the files. */
    cs_gen_opts_init(&o);
    o.participants = 300;
    o.seed = 7;
    o.frailty_sd = 1e-9;
    make_dir(d, sizeof d);
    write_run(&o, d, &st);
    assert_false(matches_pre_frailty(d));
    remove_dir(d);
#ifdef CS_GEN_BINARY
    make_dir(d, sizeof d);
    run_cli(d, "");
    assert_true(matches_pre_frailty(d));
    run_cli(d, "--frailty-sd 0");
    assert_true(matches_pre_frailty(d));
    run_cli(d, "--frailty-sd 0.5");
    assert_false(matches_pre_frailty(d));
    remove_dir(d);
#endif
}

/* Per-participant sessions and hamstring cramps, read back from the
 * exercise file. */
typedef struct spread {
    unsigned long npeople;
    double *n, *y;
} spread;

static void count_exercise_row(char **f, int n, unsigned long line,
                               void *pl)
{
    spread *sp = pl;
    unsigned long id = pid_number(f[0]);

    (void)n;
    if (!id || id > sp->npeople)
        fail_msg("line %lu: participant_id %s", line, f[0]);
    sp->n[id] += 1;
    sp->y[id] += !strcmp(f[11], "yes") && !strcmp(f[12], "hamstring");
}

/* Between-participant variance of the per-participant cramp proportions
 * (participants with 5 or more sessions): *raw is their sample variance,
 * *excess that minus the mean binomial variance pbar (1 - pbar) / n_i they
 * would have if every participant had the same risk. */
static void cramp_spread(double sd, double *raw, double *excess)
{
    cs_gen_opts o;
    cs_gen_stats st;
    spread sp;
    char d[DIR_CAP], p[PATH_CAP], *text;
    double sum = 0, sum2 = 0, cases = 0, sessions = 0, noise = 0, pbar;
    unsigned long k = 0;
    size_t len;

    cs_gen_opts_init(&o);
    o.participants = 3000;
    o.seed = 11;
    o.frailty_sd = sd;
    sp.npeople = 3000;
    sp.n = calloc(sp.npeople + 1, sizeof *sp.n);
    sp.y = calloc(sp.npeople + 1, sizeof *sp.y);
    assert_true(sp.n && sp.y);
    make_dir(d, sizeof d);
    write_run(&o, d, &st);
    path_in(p, sizeof p, d, "exercise.csv.gz");
    text = gunzip(p, &len);
    assert_int_equal(each_row(text, len, exercise_header, 13,
                              count_exercise_row, &sp), st.exercise_rows);
    free(text);
    remove_dir(d);
    for (unsigned long i = 1; i <= sp.npeople; i++) {
        double r;
        if (sp.n[i] < 5)
            continue;
        r = sp.y[i] / sp.n[i];
        sum += r;
        sum2 += r * r;
        cases += sp.y[i];
        sessions += sp.n[i];
        k++;
    }
    assert_true(k > 2500);
    pbar = cases / sessions;
    for (unsigned long i = 1; i <= sp.npeople; i++)
        if (sp.n[i] >= 5)
            noise += pbar * (1 - pbar) / sp.n[i];
    *raw = (sum2 - sum * sum / (double)k) / (double)(k - 1);
    *excess = *raw - noise / (double)k;
    print_message("frailty SD %.1f: %lu participants, cramp risk %.4f, "
                  "variance of proportions %.5f, beyond binomial %.5f\n",
                  sd, k, pbar, *raw, *excess);
    free(sp.n);
    free(sp.y);
}

/* The frailty is real: with SD 1.5 participants differ far more in their
 * cramp proportions than the six factors alone make them differ. With
 * seed 11 and 3,000 participants the raw variance is 5.6 times that of
 * SD 0 and the variance beyond binomial noise 15 times; seeds 12-14 gave
 * 5.2-6.4 and 11-21. A lognormal risk multiplier exp(u), u ~ N(0, 1.5^2),
 * alone has a variance of exp(2.25) - 1 = 8.5 times its squared mean, and
 * the variance of 2,800 proportions is known to a few per cent, so the
 * bounds below (3 and 5, about half the smallest seen) leave a wide margin
 * yet fail for a frailty that is absent or much smaller. */
static void test_gen_frailty_spreads_participants(void **state)
{
    double raw0, ex0, raw1, ex1;

    (void)state;
    cramp_spread(0.0, &raw0, &ex0);
    cramp_spread(1.5, &raw1, &ex1);
    assert_true(ex0 > 0);
    assert_true(raw1 > 3 * raw0);
    assert_true(ex1 > 5 * ex0);
}

static int setup(void **state)
{
    (void)state;
    gsl_set_error_handler_off();
    return 0;
}

/* The headers gen writes come from the contract's column names: the
 * canonical layout, spelt out here by hand from docs/data-contract.md. */
static void test_gen_canonical_headers(void **state)
{
    static const char ex[] =
        "participant_id,session_id,start_time,activity,duration_min,"
        "intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,"
        "cramp,cramp_muscle\n";
    static const char sv[] =
        "participant_id,survey_date,sex,age_years,height_ft,height_in,"
        "weight_lb,activity_level,conditioning,seasonal_sport,stretch_routine,"
        "conditions,calorie_goal,calcium_mg,potassium_mg\n";
    char buf[256], small[10];

    (void)state;
    assert_int_equal(cs_schema_canonical_header(CS_SCHEMA_EXERCISE, buf,
                                                sizeof buf), strlen(ex));
    assert_string_equal(buf, ex);
    assert_int_equal(cs_schema_canonical_header(CS_SCHEMA_SURVEY, buf,
                                                sizeof buf), strlen(sv));
    assert_string_equal(buf, sv);
    /* Too small: the length it needs, and a NUL-terminated prefix. */
    assert_int_equal(cs_schema_canonical_header(CS_SCHEMA_SURVEY, small,
                                                sizeof small), strlen(sv));
    assert_string_equal(small, "participa");
    assert_int_equal(cs_schema_canonical_header(CS_SCHEMA_ANY, buf, sizeof buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_canonical_headers),
        cmocka_unit_test(test_gen_reproducible),
        cmocka_unit_test(test_gen_seed_changes_bytes),
        cmocka_unit_test(test_gen_rows_follow_contract),
        cmocka_unit_test(test_gen_recovers_planted_model),
        cmocka_unit_test(test_gen_zero_sessions),
        cmocka_unit_test(test_gen_bad_options),
        cmocka_unit_test(test_gen_io_errors),
        cmocka_unit_test(test_gen_truth_json),
        cmocka_unit_test(test_gen_frailty_zero_is_unchanged),
        cmocka_unit_test(test_gen_frailty_spreads_participants),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
