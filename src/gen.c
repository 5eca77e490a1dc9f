/* Synthetic survey and exercise files with a planted truth: the start of
 * every demo and benchmark pipeline, and the check that tag, aggregate and
 * the logistic regression recover what was put in. Participants are made
 * one at a time (person, then survey waves, then sessions in time order),
 * each session's six cause factors are computed from the true values with
 * the default rules of DATA.md section 5, a hamstring cramp is drawn from a
 * logistic model of them (plus, when asked for, a random intercept drawn
 * once per participant), and only then are optional values blanked out
 * (missing completely at random), from a second random stream so that the
 * masking never shifts the true values. docs/generator.md explains every
 * distribution. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <zlib.h>

#include <crampstat/derive.h>
#include <crampstat/fmt.h>
#include <crampstat/gen.h>
#include <crampstat/outfile.h>
#include <crampstat/schema.h>
#include <crampstat/value.h>

/* Bump when a change alters the bytes written for the same options. */
#define GEN_VERSION 1

/* The compression level is part of the output's identity: change it and
 * every file (and every checksum of one) changes. Measured for 200,000
 * participants (5.0 million sessions) on the 2-core reference machine:
 * level 6 takes 19.5 s for 92.0 MB, level 4 8.0 s for 100.8 MB, level 1
 * 5.7 s for 117.9 MB; generation alone is about 3.5 s. Level 4 buys 2.4
 * times the speed for files a tenth bigger. */
#define GZ_MODE "wb4"
#define GZ_BUFFER (256 * 1024)

/* Rows are formatted into one buffer per file and handed to gzwrite in
 * blocks of about 1 MiB: one call per ten thousand rows instead of one per
 * row. ROW_MAX bounds one formatted row (the longest survey row, with all
 * eight conditions, is under 300 bytes). */
#define SINK_CAP (1024 * 1024)
#define ROW_MAX 1024

/* A path buffer: out_dir plus the longest temporary name. */
#define PATH_CAP 4096

/* Sessions fall in one calendar year, 2024 (a leap year, 366 days). */
#define STUDY_YEAR 2024
#define STUDY_DAYS 366

/* A participant's session times are held (and sorted) at once; this caps
 * the only buffer whose size depends on the data. */
#define MAX_SESSIONS_PER_PERSON 200000

#define MAX_WAVES 3

/* M_PI is not in C11 or POSIX. */
#define TWO_PI 6.283185307179586

/* ---- The planted model -------------------------------------------- */

static const double model_intercept = -4.0;
static const double model_beta[CS_GEN_FACTOR_N] = {
    0.7,  /* fatigue */
    0.5,  /* tightness */
    0.9,  /* heat */
    0.6,  /* dehydration */
    0.4,  /* electrolyte */
    0.8   /* medical */
};
static const char *const factor_names[CS_GEN_FACTOR_N] = {
    "fatigue", "tightness", "heat", "dehydration", "electrolyte", "medical"
};

/* Cramps of other muscles: independent of every factor, so that "any
 * cramp" dilutes the hamstring associations instead of adding its own. */
#define OTHER_CRAMP_RATE 0.015
static const char *const other_muscles[] = {
    "calf", "quadriceps", "foot", "other"
};
static const double other_muscle_w[] = { 0.5, 0.2, 0.2, 0.1 };

/* ---- Missing values (drawn after the outcome, from the mask stream) --- */

enum {
    MISS_TEMP, MISS_HUMIDITY, MISS_FLUID, MISS_WARMUP, MISS_STRETCHED,
    MISS_MUSCLE, MISS_CONDITIONS, MISS_CALCIUM, MISS_POTASSIUM, MISS_N
};
static const struct {
    const char *column;
    double rate;
} missing[MISS_N] = {
    { "temp_c", 0.03 },
    { "humidity_pct", 0.03 },
    { "fluid_ml", 0.04 },
    { "warmup_min", 0.04 },
    { "stretched", 0.03 },
    { "cramp_muscle", 0.05 },     /* share of cramp = yes rows */
    { "conditions", 0.02 },       /* written NA: empty means none */
    { "calcium_mg", 0.04 },
    { "potassium_mg", 0.04 },
};

/* ---- Population design --------------------------------------------- */

/* Activity level and conditioning are cut from two noisy copies of one
 * latent fitness score (correlation 0.64 between the copies), at the
 * normal quantiles of these cumulative shares. */
static const double act_cut[CS_ACT_N - 1] = {
    -0.915365, -0.176374, 0.612813, 1.405072     /* .18 .43 .73 .92 */
};
static const double act_share[CS_ACT_N] = { 0.18, 0.25, 0.30, 0.19, 0.08 };
static const double cond_cut[CS_COND_N - 1] = {
    -0.524401, 0.841621                          /* .30 .80 */
};
static const double cond_share[CS_COND_N] = { 0.30, 0.50, 0.20 };

#define P_FEMALE 0.5
#define P_SEASONAL 0.2
#define P_STRETCH_ROUTINE 0.35
#define P_GOAL_NUMBER 0.10

/* Calorie goals in cs_goal_text order (gain 2 ... lose 2); heavier
 * people lean to losing, lighter ones to gaining. */
static const double goal_w_mid[CS_GOAL_N] = { 2, 2, 5, 6, 35, 15, 22, 7, 6 };
static const double goal_w_high[CS_GOAL_N] = { 1, 1, 2, 3, 28, 17, 28, 11, 9 };
static const double goal_w_low[CS_GOAL_N] = { 4, 4, 9, 10, 45, 10, 12, 3, 3 };

/* Approximate population prevalences of the conditions that the draws in
 * draw_conditions() produce, for the truth file. */
static const double condition_prev[CS_MED_N] = {
    0.03, 0.004, 0.003, 0.003, 0.05, 0.02, 0.02, 0.013
};

static const struct activity {
    const char *name;
    double weight;      /* share of sessions of people with no favourite */
    double dur_med;     /* median minutes */
    double rpe;         /* typical Borg CR10 */
    double p_indoor;
} activities[] = {
    { "running",    22, 40,  6.0, 0.10 },
    { "cycling",    13, 65,  5.5, 0.15 },
    { "gym",        16, 55,  6.0, 1.00 },
    { "soccer",      8, 80,  7.0, 0.05 },
    { "basketball",  6, 60,  7.0, 0.85 },
    { "tennis",      5, 70,  6.5, 0.20 },
    { "swimming",    7, 40,  6.0, 0.75 },
    { "hiking",      6, 120, 4.5, 0.00 },
    { "yoga",        8, 55,  3.0, 0.90 },
    { "walking",     6, 45,  3.0, 0.05 },
    { "rowing",      2, 50,  6.5, 0.50 },
    { "climbing",    1, 90,  6.0, 0.70 },
};
#define N_ACTIVITIES (sizeof activities / sizeof activities[0])
enum { ACT_SOCCER = 3, ACT_BASKETBALL = 4, ACT_TENNIS = 5, ACT_SWIMMING = 6,
       ACT_YOGA = 8 };

/* Offsets for the participants whose tracker writes one; the time itself
 * is local either way, and each participant keeps one style so that the
 * written order is also the UTC order. */
static const char *const tz_offsets[] = {
    "+01:00", "+02:00", "+03:00", "-04:00", "-05:00", "-06:00", "-07:00",
    "+05:30", "+09:00"
};
#define N_TZ (sizeof tz_offsets / sizeof tz_offsets[0])

/* ---- Records ------------------------------------------------------- */

/* One survey wave as written (numbers already rounded to what the file
 * shows), before masking. */
typedef struct wave {
    int32_t day;            /* days since 1970-01-01 */
    int age;
    int64_t weight10;       /* tenths of a pound */
    int act, cond;
    int seasonal, stretch_routine;
    unsigned conditions;    /* 1u << CS_MED_x */
    int goal;               /* cs_goal_text index */
    int calcium, potassium; /* mg */
} wave;

typedef struct person {
    int sex;
    int age0;
    double bday;            /* days after the first wave to the birthday */
    int height_in;          /* total inches */
    double weight_lb;
    double bmi;
    double z, a_lat, c_lat; /* fitness and its two noisy copies */
    double mu_ca, mu_k;     /* usual intakes, mg/day */
    double t0, tamp, h0;    /* climate: mean temp, seasonal swing, RH */
    int tz_style;           /* 0 none, 1 Z, 2 offset */
    int tz_idx;
    int no_seconds;
    int primary, secondary;
    double fluid_med;       /* ml/h */
    double warm_med;        /* minutes */
    double rpe_shift;
    int nwaves;
    wave w[MAX_WAVES];
    double frailty;         /* u_i on the logit scale; 0 without frailty */
} person;

/* An output file being written, gzip-compressed, under a temporary name
 * or none (outfile.h). */
typedef struct sink {
    gzFile gz;
    int created;            /* file is open */
    char *buf;
    size_t len;
    char path[PATH_CAP];
    cs_outfile file;
} sink;

typedef struct gen {
    gsl_rng *r;             /* people, sessions and outcomes */
    gsl_rng *mask;          /* missing values only */
    sink survey, exercise;
    int32_t *times;         /* one participant's session minutes */
    size_t times_cap;
    uint64_t next_session;
    int32_t study_start;    /* days since 1970 of the first study day */
    double frailty_sd;      /* 0: no random intercept and no draw */
    cs_gen_stats st;
} gen;

/* ---- Small helpers -------------------------------------------------- */

static int bern(gsl_rng *r, double p)
{
    return gsl_rng_uniform(r) < p;
}

static double gauss(gsl_rng *r, double sd)
{
    return gsl_ran_gaussian_ziggurat(r, sd);
}

static int uniform_int(gsl_rng *r, unsigned long n)
{
    return (int)gsl_rng_uniform_int(r, n);
}

static double clip(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static int pick(gsl_rng *r, const double *w, int n)
{
    double total = 0, u;
    int i;

    for (i = 0; i < n; i++)
        total += w[i];
    u = gsl_rng_uniform(r) * total;
    for (i = 0; i < n - 1; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

static int cut(double x, const double *cuts, int n)
{
    int i = 0;

    while (i < n - 1 && x >= cuts[i])
        i++;
    return i;
}

/* ---- Formatting without the C library's locale ---------------------- */

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_uint(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width) {
        *p++ = '0';
        width--;
    }
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_int(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_uint(p, (uint64_t)0 - (uint64_t)v, 0);
    }
    return put_uint(p, (uint64_t)v, 0);
}

/* A number given in tenths, always with one decimal: 234 -> "23.4". */
static char *put_tenths(char *p, int64_t t)
{
    uint64_t a;

    if (t < 0)
        *p++ = '-';
    a = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    p = put_uint(p, a / 10, 0);
    *p++ = '.';
    *p++ = (char)('0' + a % 10);
    return p;
}

/* A number to at most `digits` decimals, trailing zeros dropped, "-0" as
 * "0": for the truth JSON. */
static char *put_decimal(char *p, double x, int digits)
{
    double scale = 1;
    uint64_t a, ip, fp, div = 1;
    int i, neg = x < 0;

    for (i = 0; i < digits; i++) {
        scale *= 10;
        div *= 10;
    }
    a = (uint64_t)llround(fabs(x) * scale);
    ip = a / div;
    fp = a % div;
    if (neg && a)
        *p++ = '-';
    p = put_uint(p, ip, 0);
    if (fp) {
        while (fp % 10 == 0) {
            fp /= 10;
            digits--;
        }
        *p++ = '.';
        p = put_uint(p, fp, digits);
    }
    return p;
}

static char *put_date(char *p, int32_t day)
{
    int y, m, d;

    cs_civil_from_days(day, &y, &m, &d);
    p = put_uint(p, (uint64_t)y, 4);
    *p++ = '-';
    p = put_uint(p, (uint64_t)m, 2);
    *p++ = '-';
    return put_uint(p, (uint64_t)d, 2);
}

/* Missing optional value: mostly empty, sometimes NA or N/A, so that
 * readers meet all three spellings of DATA.md section 1. */
static char *put_missing(char *p, gsl_rng *mask)
{
    double u = gsl_rng_uniform(mask);

    if (u < 0.6)
        return p;
    return put_str(p, u < 0.9 ? "NA" : "N/A");
}

/* ---- Output files --------------------------------------------------- */

static int io_fail(cs_error *err, const sink *s, const char *what, int errnum)
{
    return cs_error_set(err, CS_EIO, "cannot %s \"%s\": %s", what, s->path,
                        strerror(errnum));
}

static int gz_fail(cs_error *err, sink *s, const char *what, int saved_errno)
{
    int zerr = Z_OK;
    const char *msg = s->gz ? gzerror(s->gz, &zerr) : "";

    if (zerr == Z_ERRNO || !s->gz)
        return io_fail(err, s, what, saved_errno);
    return cs_error_set(err, CS_EIO, "cannot %s \"%s\": %s", what, s->path,
                        msg);
}

static int join_path(char *out, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    const char *sep = n && dir[n - 1] == '/' ? "" : "/";
    int w = snprintf(out, PATH_CAP, "%s%s%s", dir, sep, name);

    return w < 0 || w >= PATH_CAP ? -1 : 0;
}

/* zlib writes to a copy of the file's descriptor and closes that; the
 * file itself stays open to be named when both files are complete. */
static int sink_open(sink *s, const char *dir, const char *name,
                     const char *header, cs_error *err)
{
    int fd;

    if (join_path(s->path, dir, name) < 0)
        return cs_error_set(err, CS_EUSAGE, "output directory name too long");
    s->buf = malloc(SINK_CAP);
    if (!s->buf)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (cs_outfile_open(&s->file, s->path, err) < 0)
        return err->code;
    s->created = 1;
    if ((fd = dup(s->file.fd)) < 0)
        return io_fail(err, s, "create", errno);
    s->gz = gzdopen(fd, GZ_MODE);
    if (!s->gz) {
        close(fd);
        return cs_error_set(err, CS_ENOMEM, "out of memory opening \"%s\"",
                            s->path);
    }
    if (gzbuffer(s->gz, GZ_BUFFER) != 0)
        return gz_fail(err, s, "write", errno);
    s->len = strlen(header);
    memcpy(s->buf, header, s->len);
    return CS_OK;
}

static int sink_flush(sink *s, cs_error *err)
{
    if (s->len && gzwrite(s->gz, s->buf, (unsigned)s->len) == 0)
        return gz_fail(err, s, "write", errno);
    s->len = 0;
    return CS_OK;
}

/* Make room for one row; returns where to write it. */
static char *sink_row(sink *s, cs_error *err)
{
    if (s->len + ROW_MAX > SINK_CAP && sink_flush(s, err) < 0)
        return NULL;
    return s->buf + s->len;
}

static void sink_commit(sink *s, const char *end)
{
    s->len = (size_t)(end - s->buf);
}

/* Flush and close zlib's stream; the file stays unnamed. */
static int sink_close(sink *s, cs_error *err)
{
    int rc;

    if (sink_flush(s, err) < 0)
        return CS_EIO;
    errno = 0;
    rc = gzclose(s->gz);
    s->gz = NULL;
    if (rc == Z_ERRNO)
        return io_fail(err, s, "write", errno);
    if (rc != Z_OK)
        return cs_error_set(err, CS_EIO, "cannot write \"%s\": %s", s->path,
                            zError(rc));
    return CS_OK;
}

/* After a failure: drop the temporary file, whatever state it is in. */
static void sink_discard(sink *s)
{
    if (s->gz)
        gzclose(s->gz);
    s->gz = NULL;
    if (s->created)
        cs_outfile_discard(&s->file);
    s->created = 0;
    free(s->buf);
    s->buf = NULL;
}

/* ---- People and survey waves ---------------------------------------- */

static unsigned draw_conditions(gsl_rng *r, int sex, int age)
{
    unsigned c = 0;
    double a = age - 14;

    if (bern(r, 0.015 + 0.0006 * a))
        c |= 1u << CS_MED_DISC_INJURY;
    if (bern(r, age >= 50 ? 0.012 : 0.0005))
        c |= 1u << CS_MED_PARKINSONS;
    if (bern(r, sex == CS_SEX_F ? 0.004 : 0.002))
        c |= 1u << CS_MED_MULTIPLE_SCLEROSIS;
    if (bern(r, 0.003))
        c |= 1u << CS_MED_CEREBRAL_PALSY;
    if (bern(r, sex == CS_SEX_F ? 0.075 : 0.025))
        c |= 1u << CS_MED_THYROID_DISEASE;
    if (bern(r, 0.008 + 0.0004 * a))
        c |= 1u << CS_MED_KIDNEY_DISEASE;
    if (bern(r, sex == CS_SEX_M ? 0.03 : 0.012))
        c |= 1u << CS_MED_ALCOHOLISM;
    return c;
}

/* Pregnancy only for women of 18-44; one wave's pregnancy often carries
 * into a wave less than about seven months later. */
static unsigned draw_pregnancy(gsl_rng *r, const person *p, int age,
                               int was_pregnant, int32_t gap_days)
{
    double pr = 0.05;

    if (p->sex != CS_SEX_F || age < 18 || age > 44)
        return 0;
    if (was_pregnant && gap_days < 210)
        pr = 0.6;
    return bern(r, pr) ? 1u << CS_MED_PREGNANCY : 0;
}

static int draw_goal(gsl_rng *r, double bmi)
{
    if (bmi >= 27)
        return pick(r, goal_w_high, CS_GOAL_N);
    if (bmi < 22)
        return pick(r, goal_w_low, CS_GOAL_N);
    return pick(r, goal_w_mid, CS_GOAL_N);
}

static int intake(double mu, double sd, gsl_rng *r)
{
    return (int)lround(clip(mu + gauss(r, sd), 0, 10000));
}

static void draw_person(person *p, gsl_rng *r)
{
    double cm, m;
    int seasonal_player;

    p->sex = bern(r, P_FEMALE) ? CS_SEX_F : CS_SEX_M;
    /* Mostly adults: 8 % teenagers, the rest a beta over 18-80 that peaks
     * in the early thirties. */
    if (bern(r, 0.08))
        p->age0 = 14 + uniform_int(r, 4);
    else
        p->age0 = 18 + (int)(gsl_ran_beta(r, 1.6, 2.6) * 63.0);
    p->bday = gsl_rng_uniform(r) * 365.25;

    cm = p->sex == CS_SEX_M ? 175.5 + gauss(r, 7.4) : 162.0 + gauss(r, 7.0);
    if (p->age0 < 18)
        cm -= (p->sex == CS_SEX_M ? 3.0 : 1.2) * (18 - p->age0);
    p->height_in = (int)lround(clip(cm / 2.54, 54, 84));
    m = p->height_in * 0.0254;
    p->bmi = (p->age0 < 18 ? 21.5 : p->sex == CS_SEX_M ? 27.0 : 26.5)
             * exp(gauss(r, 0.17));
    p->weight_lb = clip(p->bmi * m * m / 0.45359237, 80, 450);

    p->z = gauss(r, 1.0);
    p->a_lat = 0.8 * p->z + gauss(r, 0.6);
    p->c_lat = 0.8 * p->z + gauss(r, 0.6);
    p->mu_ca = 900 + gauss(r, 280);
    p->mu_k = 2600 + gauss(r, 650);

    p->t0 = clip(15.0 + gauss(r, 6.0), -5, 28);
    p->tamp = clip(12 + gauss(r, 3.0), 3, 18);
    p->h0 = 40 + 40 * gsl_rng_uniform(r);
    {
        double u = gsl_rng_uniform(r);
        p->tz_style = u < 0.70 ? 0 : u < 0.85 ? 1 : 2;
    }
    p->tz_idx = uniform_int(r, N_TZ);
    p->no_seconds = bern(r, 0.05);

    p->w[0].seasonal = bern(r, P_SEASONAL);
    seasonal_player = p->w[0].seasonal && bern(r, 0.7);
    if (seasonal_player) {
        static const double w[3] = { 8, 6, 5 };
        static const int a[3] = { ACT_SOCCER, ACT_BASKETBALL, ACT_TENNIS };
        p->primary = a[pick(r, w, 3)];
    } else {
        double w[N_ACTIVITIES];
        for (size_t i = 0; i < N_ACTIVITIES; i++)
            w[i] = activities[i].weight;
        p->primary = pick(r, w, (int)N_ACTIVITIES);
    }
    {
        double w[N_ACTIVITIES];
        for (size_t i = 0; i < N_ACTIVITIES; i++)
            w[i] = activities[i].weight;
        p->secondary = pick(r, w, (int)N_ACTIVITIES);
    }
    p->w[0].stretch_routine = bern(r, P_STRETCH_ROUTINE);
    p->fluid_med = 600 * exp(gauss(r, 0.4));
    p->warm_med = 7 * exp(gauss(r, 0.5) + 0.15 * p->c_lat)
                  * (p->w[0].stretch_routine ? 1.4 : 1.0);
    p->rpe_shift = gauss(r, 0.7);
}

/* Wave k's values: the first from the person, later ones drift (weight
 * follows the goal, fitness and diet wander, goals and habits sometimes
 * change), as a tracker's users do over a year. */
static void draw_wave(person *p, int k, gsl_rng *r)
{
    wave *w = &p->w[k];
    const wave *prev = k ? &p->w[k - 1] : NULL;
    int32_t gap = prev ? w->day - prev->day : 0;

    w->age = p->age0 + (int)floor((p->bday + (w->day - p->w[0].day))
                                  / 365.25);
    if (prev) {
        double weeks = gap / 7.0;
        p->weight_lb = clip(p->weight_lb
                            + cs_goal_lb_week(prev->goal) * weeks * 0.4
                            + gauss(r, 4.0), 80, 450);
        p->a_lat += gauss(r, 0.35);
        p->c_lat += gauss(r, 0.30);
        p->mu_ca += gauss(r, 60);
        p->mu_k += gauss(r, 150);
        w->seasonal = bern(r, 0.08) ? !prev->seasonal : prev->seasonal;
        w->stretch_routine = bern(r, 0.10) ? !prev->stretch_routine
                                           : prev->stretch_routine;
        w->goal = bern(r, 0.30) ? draw_goal(r, p->bmi) : prev->goal;
        /* Chronic conditions persist; new ones appear at a tenth of the
         * first wave's rates. Separate statements fix the order of the
         * draws, which one expression would leave to the compiler. */
        w->conditions = prev->conditions & ~(1u << CS_MED_PREGNANCY);
        if (bern(r, 0.1))
            w->conditions |= draw_conditions(r, p->sex, w->age)
                             & ~(1u << CS_MED_PREGNANCY);
        w->conditions |= draw_pregnancy(r, p, w->age,
            (prev->conditions >> CS_MED_PREGNANCY) & 1u, gap);
    } else {
        w->goal = draw_goal(r, p->bmi);
        w->conditions = draw_conditions(r, p->sex, w->age);
        w->conditions |= draw_pregnancy(r, p, w->age, 0, 0);
    }
    w->weight10 = llround(p->weight_lb * 10);
    w->act = cut(p->a_lat, act_cut, CS_ACT_N);
    w->cond = cut(p->c_lat, cond_cut, CS_COND_N);
    w->calcium = intake(p->mu_ca, 100, r);
    w->potassium = intake(p->mu_k, 200, r);
}

/* Wave dates: the first usually on or up to four months before the first
 * session (12 % of participants answer it only after they started, so the
 * earliest-wave rule of DATA.md section 3 gets used), later ones 45-195
 * days apart and often between sessions. */
static void draw_wave_days(person *p, const gen *g, size_t n, gsl_rng *r)
{
    double u = gsl_rng_uniform(r);
    int32_t d;

    p->nwaves = u < 0.75 ? 1 : u < 0.93 ? 2 : 3;
    if (n) {
        int32_t first = g->times[0] / 1440;
        d = bern(r, 0.88) ? first - uniform_int(r, 121)
                          : first + 1 + uniform_int(r, 90);
    } else {
        d = uniform_int(r, STUDY_DAYS + 60) - 60;
    }
    p->w[0].day = g->study_start + d;
    for (int k = 1; k < p->nwaves; k++)
        p->w[k].day = p->w[k - 1].day + 45 + uniform_int(r, 151);
}

static char *put_goal(char *p, int goal, gsl_rng *r)
{
    /* Some trackers export the goal as its signed lb/week. */
    if (bern(r, P_GOAL_NUMBER)) {
        int tenths = 20 - 5 * goal;
        return put_decimal(p, tenths / 10.0, 1);
    }
    return put_str(p, cs_goal_text(goal));
}

static int write_waves(gen *g, const person *p, const char *pid,
                       cs_error *err)
{
    for (int k = 0; k < p->nwaves; k++) {
        const wave *w = &p->w[k];
        char *o = sink_row(&g->survey, err);

        if (!o)
            return CS_EIO;
        o = put_str(o, pid);
        *o++ = ',';
        o = put_date(o, w->day);
        *o++ = ',';
        o = put_str(o, cs_sex_name(p->sex));
        *o++ = ',';
        o = put_int(o, w->age);
        *o++ = ',';
        o = put_int(o, p->height_in / 12);
        *o++ = ',';
        o = put_int(o, p->height_in % 12);
        *o++ = ',';
        o = put_tenths(o, w->weight10);
        *o++ = ',';
        o = put_str(o, cs_activity_name(w->act));
        *o++ = ',';
        o = put_str(o, cs_conditioning_name(w->cond));
        *o++ = ',';
        o = put_str(o, w->seasonal ? "yes" : "no");
        *o++ = ',';
        o = put_str(o, w->stretch_routine ? "yes" : "no");
        *o++ = ',';
        if (bern(g->mask, missing[MISS_CONDITIONS].rate)) {
            o = put_str(o, bern(g->mask, 0.8) ? "NA" : "N/A");
        } else {
            int first = 1;
            for (int c = 0; c < CS_MED_N; c++) {
                if (!(w->conditions & (1u << c)))
                    continue;
                if (!first)
                    *o++ = ';';
                o = put_str(o, cs_medical_name(c));
                first = 0;
            }
        }
        *o++ = ',';
        o = put_goal(o, w->goal, g->mask);
        *o++ = ',';
        if (bern(g->mask, missing[MISS_CALCIUM].rate))
            o = put_missing(o, g->mask);
        else
            o = put_int(o, w->calcium);
        *o++ = ',';
        if (bern(g->mask, missing[MISS_POTASSIUM].rate))
            o = put_missing(o, g->mask);
        else
            o = put_int(o, w->potassium);
        *o++ = '\n';
        sink_commit(&g->survey, o);
        g->st.survey_rows++;
        for (int c = 0; c < CS_MED_N; c++)
            g->st.condition_rows[c] += (w->conditions >> c) & 1u;
    }
    return CS_OK;
}

/* ---- Sessions ------------------------------------------------------- */

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

    return (x > y) - (x < y);
}

/* Session start times in minutes since the first study day, sorted and
 * at least a minute apart. The count is negative binomial (gamma-mixed
 * Poisson, shape 2.5) around a mean that grows with fitness; the factor
 * exp(0.3 z - 0.045) has mean 1, so the overall mean is the option's. */
static int draw_times(gen *g, const person *p, double mean, size_t *n_out,
                      cs_error *err)
{
    gsl_rng *r = g->r;
    double m = mean * exp(0.3 * p->z - 0.045);
    size_t n = 0;
    int32_t win0;

    if (m > 0) {
        const double k = 2.5;
        n = gsl_ran_negative_binomial(r, k / (k + m), k);
    }
    if (n > MAX_SESSIONS_PER_PERSON)
        n = MAX_SESSIONS_PER_PERSON;
    if (n > g->times_cap) {
        size_t cap = g->times_cap ? g->times_cap : 256;
        int32_t *t;
        while (cap < n)
            cap *= 2;
        t = realloc(g->times, cap * sizeof *t);
        if (!t)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        g->times = t;
        g->times_cap = cap;
    }
    /* 40 % joined during the year, up to eight months in. */
    win0 = bern(r, 0.6) ? 0 : uniform_int(r, 241);
    for (size_t i = 0; i < n; i++) {
        int32_t day = win0 + uniform_int(r, (unsigned long)(STUDY_DAYS - win0));
        double u = gsl_rng_uniform(r), mod;
        if (u < 0.40)
            mod = 435 + gauss(r, 70);           /* before work */
        else if (u < 0.75)
            mod = 1080 + gauss(r, 80);          /* after work */
        else
            mod = 600 + 360 * gsl_rng_uniform(r);
        g->times[i] = day * 1440 + (int32_t)clip(floor(mod), 300, 1379);
    }
    if (n > 1)   /* qsort wants a valid pointer even for 0 items */
        qsort(g->times, n, sizeof *g->times, cmp_i32);
    for (size_t i = 1; i < n; i++)
        if (g->times[i] <= g->times[i - 1])
            g->times[i] = g->times[i - 1] + 1;
    *n_out = n;
    return CS_OK;
}

static char *put_time(char *o, const gen *g, const person *p, int32_t t)
{
    int32_t mod = t % 1440;

    o = put_date(o, g->study_start + t / 1440);
    *o++ = 'T';
    o = put_uint(o, (uint64_t)(mod / 60), 2);
    *o++ = ':';
    o = put_uint(o, (uint64_t)(mod % 60), 2);
    if (!p->no_seconds)
        o = put_str(o, ":00");
    if (p->tz_style == 1)
        *o++ = 'Z';
    else if (p->tz_style == 2)
        o = put_str(o, tz_offsets[p->tz_idx]);
    return o;
}

/* One session: true values, factors, outcome, then the masked row. */
static int write_session(gen *g, const person *p, const wave *w,
                         const char *pid, int32_t t, cs_error *err)
{
    gsl_rng *r = g->r, *mk = g->mask;
    int32_t doy = t / 1440;
    double hour = (t % 1440) / 60.0;
    int a, indoor, dur, rpe, rh, warm, stretched, x[CS_GEN_FACTOR_N];
    int ham, other, muscle = -1;
    int64_t t10, fluid;
    double temp, rate, eta;
    char *o;

    {
        double u = gsl_rng_uniform(r);
        if (u < 0.60)
            a = p->primary;
        else if (u < 0.85)
            a = p->secondary;
        else {
            double wt[N_ACTIVITIES];
            for (size_t i = 0; i < N_ACTIVITIES; i++)
                wt[i] = activities[i].weight;
            a = pick(r, wt, (int)N_ACTIVITIES);
        }
    }
    indoor = bern(r, activities[a].p_indoor);

    /* Northern hemisphere: coldest about 20 January, warmest in July;
     * afternoons about 5 degrees warmer than the daily mean, mornings
     * more humid. */
    if (indoor) {
        int pool = a == ACT_SWIMMING;
        temp = (pool ? 27.0 : 21.0) + gauss(r, pool ? 1.0 : 1.5);
        rh = (int)lround(clip((pool ? 65.0 : 45.0) + gauss(r, pool ? 6 : 8),
                              5, 100));
    } else {
        temp = p->t0 - p->tamp * cos(TWO_PI * (doy - 20) / 365.25)
               + 6.0 * cos(TWO_PI * (hour - 15) / 24) + gauss(r, 3.0);
        rh = (int)lround(clip(p->h0 + 15 * cos(TWO_PI * (hour - 5) / 24)
                              + gauss(r, 10), 5, 100));
    }
    t10 = llround(clip(temp, -35, 48) * 10);
    temp = t10 / 10.0;   /* the value as the file will show it */

    dur = (int)lround(clip(activities[a].dur_med
                           * exp(gauss(r, 0.35) + 0.1 * p->c_lat), 10, 180));
    rpe = (int)lround(clip(activities[a].rpe + 0.35 * (w->cond - 1)
                           + p->rpe_shift + gauss(r, 1.2), 1, 10));

    /* People drink more when hot; a few drink nothing at all. */
    rate = p->fluid_med * (1 + 0.03 * (temp > 20 ? temp - 20 : 0))
           * exp(gauss(r, 0.35));
    fluid = bern(r, 0.04) ? 0 : 10 * llround(rate * dur / 600.0);
    if (fluid > 10000)
        fluid = 10000;
    /* No value exactly on the default dehydration threshold (fluid / h =
     * 400), where fluid / (dur / 60) and fluid * 60 / dur may round to
     * different sides in floating point. */
    if (fluid * 60 == 400 * (int64_t)dur)
        fluid += 10;

    warm = bern(r, 0.25) ? 0
           : (int)lround(clip(p->warm_med * exp(gauss(r, 0.5)), 0, 90));
    stretched = bern(r, a == ACT_YOGA ? 0.95
                        : w->stretch_routine ? 0.80 : 0.35);

    /* DATA.md section 5 default rules on the true values. */
    x[CS_GEN_FATIGUE] = w->cond == CS_COND_UNCONDITIONED
                        || (w->seasonal && rpe >= 7)
                        || (dur >= 90 && rpe >= 7);
    x[CS_GEN_TIGHTNESS] = w->act == CS_ACT_SEDENTARY
                          || (!stretched && warm < 5);
    x[CS_GEN_HEAT] = cs_heat_index_c(temp, (double)rh) >= 32.0;
    x[CS_GEN_DEHYDRATION] = dur >= 30 && fluid / (dur / 60.0) < 400.0;
    x[CS_GEN_ELECTROLYTE] = w->calcium < 700 || w->potassium < 2000;
    x[CS_GEN_MEDICAL] = w->conditions != 0;

    eta = model_intercept + p->frailty;   /* -4.0 + 0.0 is exact */
    for (int f = 0; f < CS_GEN_FACTOR_N; f++) {
        eta += model_beta[f] * x[f];
        g->st.exposed[f] += (uint64_t)x[f];
    }
    ham = gsl_rng_uniform(r) < 1.0 / (1.0 + exp(-eta));
    other = bern(r, OTHER_CRAMP_RATE);
    if (other)
        muscle = pick(r, other_muscle_w, 4);
    g->st.exercise_rows++;
    g->st.hamstring_cramps += (uint64_t)ham;
    g->st.other_cramps += (uint64_t)(!ham && other);

    if (!(o = sink_row(&g->exercise, err)))
        return CS_EIO;
    o = put_str(o, pid);
    *o++ = ',';
    *o++ = 'S';
    o = put_uint(o, ++g->next_session, 9);
    *o++ = ',';
    o = put_time(o, g, p, t);
    *o++ = ',';
    o = put_str(o, activities[a].name);
    *o++ = ',';
    o = put_int(o, dur);
    *o++ = ',';
    o = put_int(o, rpe);
    *o++ = ',';
    o = bern(mk, missing[MISS_TEMP].rate) ? put_missing(o, mk)
                                          : put_tenths(o, t10);
    *o++ = ',';
    o = bern(mk, missing[MISS_HUMIDITY].rate) ? put_missing(o, mk)
                                              : put_int(o, rh);
    *o++ = ',';
    o = bern(mk, missing[MISS_FLUID].rate) ? put_missing(o, mk)
                                           : put_int(o, fluid);
    *o++ = ',';
    o = bern(mk, missing[MISS_WARMUP].rate) ? put_missing(o, mk)
                                            : put_int(o, warm);
    *o++ = ',';
    o = bern(mk, missing[MISS_STRETCHED].rate)
        ? put_missing(o, mk) : put_str(o, stretched ? "yes" : "no");
    *o++ = ',';
    o = put_str(o, ham || other ? "yes" : "no");
    *o++ = ',';
    if (ham || other) {
        if (bern(mk, missing[MISS_MUSCLE].rate))
            o = put_missing(o, mk);
        else
            o = put_str(o, ham ? "hamstring" : other_muscles[muscle]);
    }
    *o++ = '\n';
    sink_commit(&g->exercise, o);
    return CS_OK;
}

static int write_participant(gen *g, uint64_t idx, double mean,
                             cs_error *err)
{
    person p;
    char pid[32], *e;
    size_t n = 0, i;
    int k, rc;

    memset(&p, 0, sizeof p);
    pid[0] = 'P';
    e = put_uint(pid + 1, idx, 7);
    *e = '\0';

    draw_person(&p, g->r);
    /* The random intercept comes from the main stream, once per
     * participant. Without frailty nothing is drawn, so the stream, and
     * every byte written, is what it was before the option existed. */
    if (g->frailty_sd > 0)
        p.frailty = gauss(g->r, g->frailty_sd);
    if ((rc = draw_times(g, &p, mean, &n, err)) < 0)
        return rc;
    draw_wave_days(&p, g, n, g->r);
    for (k = 0; k < p.nwaves; k++)
        draw_wave(&p, k, g->r);
    if ((rc = write_waves(g, &p, pid, err)) < 0)
        return rc;

    /* DATA.md section 3: the latest wave dated on or before the session's
     * day as written, else the earliest. Sessions come in time order, so
     * the wave index only moves forward. */
    k = 0;
    for (i = 0; i < n; i++) {
        int32_t day = g->study_start + g->times[i] / 1440;
        while (k + 1 < p.nwaves && p.w[k + 1].day <= day)
            k++;
        if ((rc = write_session(g, &p, &p.w[k], pid, g->times[i], err)) < 0)
            return rc;
    }
    g->st.participants++;
    return CS_OK;
}

/* ---- Public API ------------------------------------------------------ */

void cs_gen_opts_init(cs_gen_opts *o)
{
    o->participants = 2000;
    o->seed = 1;
    o->sessions_per_participant = 25.0;
    o->frailty_sd = 0.0;
}

/* GSL's mt19937 uses only 32 bits of its seed. Seeds below 2^32 are used
 * as they are; larger ones are hashed (splitmix64's finalizer) so that they
 * do not simply alias a small seed, as S ^ (S >> 32) would (2^32 + 42 and
 * 43). Two large seeds can still meet: there are only 2^32 streams. */
static unsigned long rng_seed(uint64_t seed)
{
    uint64_t z = seed;

    if (z <= 0xffffffffu)
        return (unsigned long)z;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return (unsigned long)((z ^ (z >> 32)) & 0xffffffffu);
}

static unsigned long mask_seed(uint64_t seed)
{
    return rng_seed(seed) ^ 0x5bd1e995ul;
}

int cs_gen_write(const cs_gen_opts *o, const char *out_dir,
                 cs_gen_stats *stats_out, cs_error *err)
{
    gen g;
    int rc = CS_OK;
    double mean;
    char sv_header[256], ex_header[256];

    if (!o || !out_dir || !*out_dir)
        return cs_error_set(err, CS_EUSAGE, "no output directory");
    mean = o->sessions_per_participant;
    if (o->participants < 1 || o->participants > CS_GEN_MAX_PARTICIPANTS)
        return cs_error_set(err, CS_EUSAGE,
                            "participants must be 1 to %u, not %llu",
                            CS_GEN_MAX_PARTICIPANTS,
                            (unsigned long long)o->participants);
    if (!(mean >= 0 && mean <= CS_GEN_MAX_SESSIONS_MEAN))
        return cs_error_set(err, CS_EUSAGE,
                            "sessions per participant must be 0 to %g",
                            CS_GEN_MAX_SESSIONS_MEAN);
    if (!(o->frailty_sd >= 0 && o->frailty_sd <= CS_GEN_MAX_FRAILTY_SD))
        return cs_error_set(err, CS_EUSAGE,
                            "frailty SD must be 0 to %g",
                            CS_GEN_MAX_FRAILTY_SD);
    /* Said of the directory itself: opening DIR/survey.csv.gz would name
     * a file that cannot be there and blame its temporary file. */
    struct stat st;
    if (stat(out_dir, &st) < 0)
        return cs_error_at(err, CS_EIO, (cs_pos){ out_dir, 0, 0 },
                           "cannot write into the output directory: %s",
                           strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return cs_error_at(err, CS_EIO, (cs_pos){ out_dir, 0, 0 },
                           "cannot write into the output directory: %s",
                           strerror(ENOTDIR));

    memset(&g, 0, sizeof g);
    g.study_start = cs_days_from_civil(STUDY_YEAR, 1, 1);
    g.frailty_sd = o->frailty_sd;
    g.r = gsl_rng_alloc(gsl_rng_mt19937);
    g.mask = gsl_rng_alloc(gsl_rng_mt19937);
    if (!g.r || !g.mask) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto done;
    }
    gsl_rng_set(g.r, rng_seed(o->seed));
    gsl_rng_set(g.mask, mask_seed(o->seed));

    /* The contract's columns in order: the canonical layout ingest writes. */
    cs_schema_canonical_header(CS_SCHEMA_SURVEY, sv_header, sizeof sv_header);
    cs_schema_canonical_header(CS_SCHEMA_EXERCISE, ex_header, sizeof ex_header);
    if ((rc = sink_open(&g.survey, out_dir, "survey.csv.gz", sv_header,
                        err)) < 0 ||
        (rc = sink_open(&g.exercise, out_dir, "exercise.csv.gz", ex_header,
                        err)) < 0)
        goto done;
    for (uint64_t i = 1; i <= o->participants; i++)
        if ((rc = write_participant(&g, i, mean, err)) < 0)
            goto done;
    if ((rc = sink_close(&g.survey, err)) < 0 ||
        (rc = sink_close(&g.exercise, err)) < 0)
        goto done;
    /* Both files are complete: only now take the final names. */
    g.survey.created = 0;
    if ((rc = cs_outfile_commit(&g.survey.file, err)) < 0)
        goto done;
    g.exercise.created = 0;
    if ((rc = cs_outfile_commit(&g.exercise.file, err)) < 0)
        goto done;
    if (stats_out)
        *stats_out = g.st;
done:
    sink_discard(&g.survey);
    sink_discard(&g.exercise);
    free(g.times);
    if (g.r)
        gsl_rng_free(g.r);
    if (g.mask)
        gsl_rng_free(g.mask);
    return rc;
}

/* ---- The truth file ------------------------------------------------- */

/* The truth file is built with the library's buffer and JSON helpers;
 * only its numbers are gen's own (put_decimal: a fixed number of
 * decimals, trailing zeros dropped), so the text stays what it was. */
typedef cs_buf jbuf;

static void jstr(jbuf *j, const char *s)
{
    cs_buf_puts(j, s);
}

static void jnum(jbuf *j, double x, int digits)
{
    char tmp[64];

    cs_buf_append(j, tmp, (size_t)(put_decimal(tmp, x, digits) - tmp));
}

static void juint(jbuf *j, uint64_t v)
{
    cs_json_u64(j, v);
}

/* "key": number, with the separator of the previous member. */
static void jkey(jbuf *j, const char *indent, const char *key, int first)
{
    if (!first)
        jstr(j, ",\n");
    jstr(j, indent);
    cs_json_str(j, key);
    jstr(j, ": ");
}

static void jnum_obj(jbuf *j, const char *key, const char *const *names,
                     const double *v, int n, int digits)
{
    jkey(j, "  ", key, 0);
    jstr(j, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            jstr(j, ", ");
        cs_json_str(j, names[i]);
        jstr(j, ": ");
        jnum(j, v[i], digits);
    }
    jstr(j, "}");
}

static void juint_obj(jbuf *j, const char *key, const char *const *names,
                      const uint64_t *v, int n)
{
    jkey(j, "    ", key, 0);
    jstr(j, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            jstr(j, ", ");
        cs_json_str(j, names[i]);
        jstr(j, ": ");
        juint(j, v[i]);
    }
    jstr(j, "}");
}

size_t cs_gen_truth_json(char *out, size_t cap, const cs_gen_opts *o,
                         const cs_gen_stats *stats)
{
    jbuf j;
    size_t len;
    const char *names[MISS_N + CS_MED_N];  /* room for either list */
    double v[MISS_N + CS_MED_N];
    double goal_w[CS_GOAL_N], total = 0;
    int i;

    cs_buf_init(&j, CS_GEN_TRUTH_MAX);
    jstr(&j, "{\n");
    jkey(&j, "  ", "generator", 1);
    jstr(&j, "\"crampstat gen\"");
    jkey(&j, "  ", "generator_version", 0);
    juint(&j, GEN_VERSION);
    jkey(&j, "  ", "seed", 0);
    juint(&j, o->seed);
    jkey(&j, "  ", "rng", 0);
    jstr(&j, "\"gsl_rng_mt19937\"");
    jkey(&j, "  ", "rng_seed", 0);
    juint(&j, rng_seed(o->seed));
    jkey(&j, "  ", "participants", 0);
    juint(&j, o->participants);
    jkey(&j, "  ", "sessions_per_participant", 0);
    jnum(&j, o->sessions_per_participant, 6);
    jkey(&j, "  ", "study_period", 0);
    jstr(&j, "[\"2024-01-01\", \"2024-12-31\"]");
    jkey(&j, "  ", "order", 0);
    jstr(&j, "\"participant-major; sessions by start_time within a "
             "participant; survey waves by date\"");
    jkey(&j, "  ", "model", 0);
    if (o->frailty_sd > 0)
        jstr(&j, "\"logit P(hamstring cramp | participant i) = intercept + "
                 "sum beta_f * x_f + u_i, u_i ~ N(0, frailty_sd^2) drawn "
                 "once per participant\"");
    else
        jstr(&j, "\"logit P(hamstring cramp) = intercept + sum beta_f * "
                 "x_f\"");
    /* Without frailty the text stays that of a generator without the
     * option, like the files. */
    if (o->frailty_sd > 0) {
        jkey(&j, "  ", "frailty_sd", 0);
        jnum(&j, o->frailty_sd, 6);
        jkey(&j, "  ", "scale", 0);
        jstr(&j, "\"conditional on the participant: intercept, baseline_risk, "
                 "coefficients and odds_ratios are for a participant with "
                 "u_i = 0; crude and marginal (population-averaged) "
                 "associations are smaller\"");
    }
    jkey(&j, "  ", "factors", 0);
    jstr(&j, "\"x_f from the default rules of DATA.md section 5 on the true "
             "values, survey wave joined by the rule of section 3\"");
    jkey(&j, "  ", "intercept", 0);
    jnum(&j, model_intercept, 6);
    jkey(&j, "  ", "baseline_risk", 0);
    jnum(&j, 1.0 / (1.0 + exp(-model_intercept)), 6);
    jnum_obj(&j, "coefficients", factor_names, model_beta, CS_GEN_FACTOR_N,
             6);
    for (i = 0; i < CS_GEN_FACTOR_N; i++)
        v[i] = exp(model_beta[i]);
    jnum_obj(&j, "odds_ratios", factor_names, v, CS_GEN_FACTOR_N, 6);
    jkey(&j, "  ", "other_cramp_rate", 0);
    jnum(&j, OTHER_CRAMP_RATE, 6);
    jnum_obj(&j, "other_cramp_muscles", other_muscles, other_muscle_w, 4, 6);

    jkey(&j, "  ", "prevalences", 0);
    jstr(&j, "{\n");
    jkey(&j, "    ", "sex_f", 1);
    jnum(&j, P_FEMALE, 6);
    jkey(&j, "    ", "seasonal_sport", 0);
    jnum(&j, P_SEASONAL, 6);
    jkey(&j, "    ", "stretch_routine", 0);
    jnum(&j, P_STRETCH_ROUTINE, 6);
    for (i = 0; i < CS_ACT_N; i++)
        names[i] = cs_activity_name(i);
    jkey(&j, "    ", "activity_level", 0);
    jstr(&j, "{");
    for (i = 0; i < CS_ACT_N; i++) {
        jstr(&j, i ? ", \"" : "\"");
        jstr(&j, names[i]);
        jstr(&j, "\": ");
        jnum(&j, act_share[i], 6);
    }
    jstr(&j, "}");
    jkey(&j, "    ", "conditioning", 0);
    jstr(&j, "{");
    for (i = 0; i < CS_COND_N; i++) {
        jstr(&j, i ? ", \"" : "\"");
        jstr(&j, cs_conditioning_name(i));
        jstr(&j, "\": ");
        jnum(&j, cond_share[i], 6);
    }
    jstr(&j, "}");
    jkey(&j, "    ", "conditions_approx", 0);
    jstr(&j, "{");
    for (i = 0; i < CS_MED_N; i++) {
        jstr(&j, i ? ", \"" : "\"");
        jstr(&j, cs_medical_name(i));
        jstr(&j, "\": ");
        jnum(&j, condition_prev[i], 6);
    }
    jstr(&j, "}");
    for (i = 0; i < CS_GOAL_N; i++)
        total += goal_w_mid[i];
    for (i = 0; i < CS_GOAL_N; i++)
        goal_w[i] = goal_w_mid[i] / total;
    jkey(&j, "    ", "calorie_goal_bmi_22_to_27", 0);
    jstr(&j, "{");
    for (i = 0; i < CS_GOAL_N; i++) {
        jstr(&j, i ? ", \"" : "\"");
        jstr(&j, cs_goal_text(i));
        jstr(&j, "\": ");
        jnum(&j, goal_w[i], 6);
    }
    jstr(&j, "}");
    jkey(&j, "    ", "calorie_goal_as_number", 0);
    jnum(&j, P_GOAL_NUMBER, 6);
    jstr(&j, "\n  }");

    for (i = 0; i < MISS_N; i++) {
        names[i] = missing[i].column;
        v[i] = missing[i].rate;
    }
    jnum_obj(&j, "missing_rates", names, v, MISS_N, 6);
    jkey(&j, "  ", "missing_tokens", 0);
    jstr(&j, "{\"\": 0.6, \"NA\": 0.3, \"N/A\": 0.1, "
             "\"conditions\": {\"NA\": 0.8, \"N/A\": 0.2}}");

    if (stats) {
        jkey(&j, "  ", "realized", 0);
        jstr(&j, "{\n");
        jkey(&j, "    ", "participants", 1);
        juint(&j, stats->participants);
        jkey(&j, "    ", "survey_rows", 0);
        juint(&j, stats->survey_rows);
        jkey(&j, "    ", "exercise_rows", 0);
        juint(&j, stats->exercise_rows);
        jkey(&j, "    ", "hamstring_cramps", 0);
        juint(&j, stats->hamstring_cramps);
        jkey(&j, "    ", "other_cramps", 0);
        juint(&j, stats->other_cramps);
        juint_obj(&j, "exposed_sessions", factor_names, stats->exposed,
                  CS_GEN_FACTOR_N);
        for (i = 0; i < CS_MED_N; i++)
            names[i] = cs_medical_name(i);
        juint_obj(&j, "condition_rows", names, stats->condition_rows,
                  CS_MED_N);
        jstr(&j, "\n  }");
    }
    jstr(&j, "\n}\n");
    /* Out of memory (a few KB): an empty text, which no caller takes for
     * a truth file. */
    len = cs_buf_error(&j) ? 0 : j.len;
    if (cap) {
        size_t n = len < cap ? len : cap - 1;
        if (n)
            memcpy(out, j.ptr, n);
        out[n] = '\0';
    }
    cs_buf_dispose(&j);
    return len;
}
