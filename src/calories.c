/* Calorie goals per participant, and the cramp link by goal direction.
 * Participants come from each one's latest survey wave (cs_survey_latest),
 * sessions from tag's output. The state is integers only: goal counts and
 * an exact histogram of target_kcal with 1 kcal bins per group and goal
 * direction. Because targets are whole kcal, that histogram is the sorted
 * data in compressed form, so quantiles after a merge are exact, and every
 * statistic is a function of the histogram read in kcal order: a merged
 * report is the single-pass report, byte for byte. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_histogram.h>
#include <crampstat/calories.h>
#include <crampstat/fmt.h>
#include "internal.h"

/* The nine goals as the state writes them: the signed lb/week. */
static const char *const lb_text[CS_GOAL_N] = {
    "2", "1.5", "1", "0.5", "0", "-0.5", "-1", "-1.5", "-2"
};

static const char *const by_names[CS_CAL_BY_N] = {
    "sex", "age_band", "activity_level"
};

const char *cs_cal_by_name(int by)
{
    return (unsigned)by < CS_CAL_BY_N ? by_names[by] : NULL;
}

int cs_cal_by_parse(const char *name)
{
    for (int i = 0; i < CS_CAL_BY_N; i++)
        if (strcmp(name, by_names[i]) == 0)
            return i;
    return -1;
}

size_t cs_cal_ngroups(int by)
{
    switch (by) {
    case CS_CAL_BY_SEX: return CS_SEX_N;
    case CS_CAL_BY_AGE_BAND: return CS_AGE_N;
    case CS_CAL_BY_ACTIVITY: return CS_ACT_N;
    }
    return 0;
}

const char *cs_cal_group_name(int by, size_t g)
{
    if (g >= cs_cal_ngroups(by))
        return NULL;
    switch (by) {
    case CS_CAL_BY_SEX: return cs_sex_name((int)g);
    case CS_CAL_BY_AGE_BAND: return cs_age_band_name((int)g);
    default: return cs_activity_name((int)g);
    }
}

int cs_cal_group_of(int by, const cs_wave *w)
{
    int g;

    switch (by) {
    case CS_CAL_BY_SEX: g = w->sex; break;
    case CS_CAL_BY_AGE_BAND: g = cs_age_band(w->age_years); break;
    case CS_CAL_BY_ACTIVITY: g = w->activity_level; break;
    default: return -1;
    }
    return g >= 0 && (size_t)g < cs_cal_ngroups(by) ? g : -1;
}

int cs_cal_target(long *out, const cs_wave *w)
{
    double tdee;
    long t;

    if (!cs_sex_name(w->sex) || !cs_activity_name(w->activity_level) ||
        cs_goal_index(w->goal_lb_week) < 0)
        return CS_EDATA;
    tdee = cs_tdee_kcal(cs_bmr_kcal(cs_weight_kg(w->weight_lb),
                                    cs_height_cm(w->height_ft, w->height_in),
                                    w->age_years, w->sex),
                        w->activity_level);
    /* lround of a value beyond long is undefined: check before. */
    if (!(fabs(tdee) < 1e9))
        return CS_EDATA;
    t = cs_target_kcal(tdee, w->goal_lb_week);
    if (t < CS_CAL_KCAL_MIN || t > CS_CAL_KCAL_MAX)
        return CS_EDATA;
    *out = t;
    return CS_OK;
}

/* ---- exact histogram ------------------------------------------------- */

void cs_cal_hist_init(cs_cal_hist *h)
{
    memset(h, 0, sizeof *h);
}

void cs_cal_hist_dispose(cs_cal_hist *h)
{
    free(h->count);
    memset(h, 0, sizeof *h);
}

static int add_u64(uint64_t *x, uint64_t y)
{
    if (*x > UINT64_MAX - y)
        return -1;
    *x += y;
    return 0;
}

/* Make lo ... hi addressable. A side that has to grow grows by at least
 * 256 kcal: targets arrive in no order, and this keeps a histogram to a
 * handful of reallocations. */
static int hist_cover(cs_cal_hist *h, long lo, long hi)
{
    long old_hi = h->lo + (long)h->n - 1, nlo = lo, nhi = hi;
    uint64_t *c;

    if (h->n && lo >= h->lo && hi <= old_hi)
        return CS_OK;
    if (h->n) {
        if (nlo < h->lo) {
            if (nlo > h->lo - 256)
                nlo = h->lo - 256;
        } else {
            nlo = h->lo;
        }
        if (nhi > old_hi) {
            if (nhi < old_hi + 256)
                nhi = old_hi + 256;
        } else {
            nhi = old_hi;
        }
    }
    if (nlo < CS_CAL_KCAL_MIN)
        nlo = CS_CAL_KCAL_MIN;
    if (nhi > CS_CAL_KCAL_MAX)
        nhi = CS_CAL_KCAL_MAX;
    if (!(c = calloc((size_t)(nhi - nlo + 1), sizeof *c)))
        return CS_ENOMEM;
    if (h->n)
        memcpy(c + (h->lo - nlo), h->count, h->n * sizeof *c);
    free(h->count);
    h->count = c;
    h->lo = nlo;
    h->n = (size_t)(nhi - nlo + 1);
    return CS_OK;
}

int cs_cal_hist_add(cs_cal_hist *h, long kcal, uint64_t count)
{
    int rc;

    if (kcal < CS_CAL_KCAL_MIN || kcal > CS_CAL_KCAL_MAX)
        return CS_EDATA;
    if (count == 0)
        return CS_OK;
    if (h->total > UINT64_MAX - count)
        return CS_EDATA;
    if ((rc = hist_cover(h, kcal, kcal)) < 0)
        return rc;
    h->count[kcal - h->lo] += count;   /* <= total: cannot overflow */
    h->total += count;
    return CS_OK;
}

int cs_cal_hist_merge(cs_cal_hist *into, const cs_cal_hist *from)
{
    int rc;

    if (from->total == 0)
        return CS_OK;
    if (into->total > UINT64_MAX - from->total)
        return CS_EDATA;
    if ((rc = hist_cover(into, from->lo, from->lo + (long)from->n - 1)) < 0)
        return rc;
    for (size_t i = 0; i < from->n; i++)
        into->count[from->lo - into->lo + (long)i] += from->count[i];
    into->total += from->total;
    return CS_OK;
}

/* x[k] of the sorted expansion of h, for k < h->total. */
static long rank_value(const cs_cal_hist *h, uint64_t k)
{
    uint64_t cum = 0;

    for (size_t i = 0; i < h->n; i++) {
        cum += h->count[i];
        if (cum > k)
            return h->lo + (long)i;
    }
    return h->lo + (long)h->n - 1;
}

/* The arithmetic of gsl_stats_quantile_from_sorted_data, step by step
 * (GSL 2.x, statistics/quantiles_source.c), with the two order
 * statistics read from the histogram instead of an array. GSL truncates
 * the index through an int; a 64-bit count does the same below 2^31 and
 * stays right above it. */
double cs_cal_hist_quantile(const cs_cal_hist *h, double f)
{
    const uint64_t n = h->total;
    double index, delta;
    uint64_t lhs;

    if (n == 0 || !(f >= 0 && f <= 1))
        return NAN;
    index = f * (double)(n - 1);
    lhs = (uint64_t)index;
    delta = index - (double)lhs;
    if (lhs == n - 1)
        return (double)rank_value(h, lhs);
    return (1 - delta) * (double)rank_value(h, lhs)
           + delta * (double)rank_value(h, lhs + 1);
}

void cs_cal_hist_summary(cs_cal_summary *out, const cs_cal_hist *h)
{
    long double sum = 0, ss = 0, mean;
    size_t first = 0, last = 0;
    int seen = 0;

    memset(out, 0, sizeof *out);
    out->n = h->total;
    out->mean = out->sd = out->min = out->max = NAN;
    out->p5 = out->p25 = out->p50 = out->p75 = out->p95 = NAN;
    if (h->total == 0)
        return;
    /* Whole kcal times counts: the sum is exact in long double's 64-bit
     * mantissa up to about 10^14 participants. */
    for (size_t i = 0; i < h->n; i++)
        if (h->count[i]) {
            sum += (long double)(h->lo + (long)i) * (long double)h->count[i];
            if (!seen)
                first = i;
            last = i;
            seen = 1;
        }
    mean = sum / (long double)h->total;
    /* Two passes: squared deviations from the mean, not the difference
     * of two large sums. */
    for (size_t i = first; i <= last; i++)
        if (h->count[i]) {
            long double d = (long double)(h->lo + (long)i) - mean;
            ss += d * d * (long double)h->count[i];
        }
    out->mean = (double)mean;
    if (h->total > 1)
        out->sd = (double)sqrtl(ss / (long double)(h->total - 1));
    out->min = (double)(h->lo + (long)first);
    out->max = (double)(h->lo + (long)last);
    out->p5 = cs_cal_hist_quantile(h, 0.05);
    out->p25 = cs_cal_hist_quantile(h, 0.25);
    out->p50 = cs_cal_hist_quantile(h, 0.5);
    out->p75 = cs_cal_hist_quantile(h, 0.75);
    out->p95 = cs_cal_hist_quantile(h, 0.95);
}

/* Participants below x. */
static uint64_t hist_below(const cs_cal_hist *h, long x)
{
    uint64_t k = 0;

    for (size_t i = 0; i < h->n && h->lo + (long)i < x; i++)
        k += h->count[i];
    return k;
}

/* ---- the accumulator ---------------------------------------------------- */

int cs_cal_init(cs_cal *c, int by, cs_error *err)
{
    memset(c, 0, sizeof *c);
    if (!cs_cal_by_name(by))
        return cs_error_set(err, CS_EUSAGE, "calories are grouped by sex, "
                            "age_band or activity_level");
    c->by = by;
    c->ngroups = cs_cal_ngroups(by);
    return CS_OK;
}

void cs_cal_dispose(cs_cal *c)
{
    for (size_t g = 0; g < CS_CAL_GROUPS_MAX; g++)
        for (int d = 0; d < CS_CAL_DIR_N; d++)
            cs_cal_hist_dispose(&c->group[g].target[d]);
    memset(c, 0, sizeof *c);
}

int cs_cal_add_participant(cs_cal *c, const cs_wave *w, cs_error *err)
{
    int g = cs_cal_group_of(c->by, w), goal = cs_goal_index(w->goal_lb_week);
    long kcal = 0;
    int rc;

    if (g < 0 || cs_cal_target(&kcal, w) < 0)
        return cs_error_set(err, CS_EDATA, "participant \"%.*s\": the survey "
                            "wave breaks the data contract (sex, age, "
                            "activity level, goal or a target outside %ld "
                            "... %ld kcal)",
                            (int)(w->participant_id.len > 64 ? 64
                                  : w->participant_id.len),
                            w->participant_id.ptr ? w->participant_id.ptr : "",
                            CS_CAL_KCAL_MIN, CS_CAL_KCAL_MAX);
    cs_cal_group *gr = &c->group[g];
    rc = cs_cal_hist_add(&gr->target[cs_goal_direction(w->goal_lb_week)],
                         kcal, 1);
    if (rc == CS_ENOMEM)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc < 0 || c->participants == UINT64_MAX)
        return cs_error_set(err, CS_EDATA, "a count overflows 64 bits");
    gr->goal[goal]++;
    gr->below[goal] += (uint64_t)(cs_below_safe_min(kcal, w->sex) == 1);
    c->participants++;
    return CS_OK;
}

int cs_cal_add_session(cs_cal *c, double goal_lb_week, int outcome,
                       cs_error *err)
{
    cs_cal_link *l;

    if (cs_goal_index(goal_lb_week) < 0)
        return cs_error_set(err, CS_EDATA, "goal_lb_week %g is not one of "
                            "the nine goals (-2 ... 2 in steps of 0.5)",
                            goal_lb_week);
    l = &c->link[cs_goal_direction(goal_lb_week)];
    if (outcome < 0)
        l->unknown++;
    else {
        l->sessions++;
        l->cases += outcome > 0;
    }
    return CS_OK;
}

int cs_cal_merge(cs_cal *into, const cs_cal *from, cs_error *err)
{
    if (into->by != from->by)
        return cs_error_set(err, CS_EDATA, "the states are grouped by "
                            "different columns (%s vs %s)",
                            cs_cal_by_name(into->by), cs_cal_by_name(from->by));
    /* Check every counter first, so that a failed merge leaves into as it
     * was. */
    {
        uint64_t p = into->participants;
        if (add_u64(&p, from->participants) < 0)
            goto overflow;
        for (int d = 0; d < CS_CAL_DIR_N; d++) {
            cs_cal_link l = into->link[d];
            if (add_u64(&l.sessions, from->link[d].sessions) < 0 ||
                add_u64(&l.cases, from->link[d].cases) < 0 ||
                add_u64(&l.unknown, from->link[d].unknown) < 0)
                goto overflow;
        }
        for (size_t g = 0; g < into->ngroups; g++) {
            for (int i = 0; i < CS_GOAL_N; i++) {
                uint64_t a = into->group[g].goal[i];
                if (add_u64(&a, from->group[g].goal[i]) < 0)
                    goto overflow;
            }
            for (int d = 0; d < CS_CAL_DIR_N; d++)
                if (into->group[g].target[d].total >
                    UINT64_MAX - from->group[g].target[d].total)
                    goto overflow;
        }
    }
    for (size_t g = 0; g < into->ngroups; g++)
        for (int d = 0; d < CS_CAL_DIR_N; d++)
            if (cs_cal_hist_merge(&into->group[g].target[d],
                                  &from->group[g].target[d]) < 0)
                return cs_error_set(err, CS_ENOMEM, "out of memory");
    into->participants += from->participants;
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        into->link[d].sessions += from->link[d].sessions;
        into->link[d].cases += from->link[d].cases;
        into->link[d].unknown += from->link[d].unknown;
    }
    for (size_t g = 0; g < into->ngroups; g++)
        for (int i = 0; i < CS_GOAL_N; i++) {
            into->group[g].goal[i] += from->group[g].goal[i];
            into->group[g].below[i] += from->group[g].below[i];
        }
    return CS_OK;
overflow:
    return cs_error_set(err, CS_EDATA, "a count overflows 64 bits when "
                        "merging");
}

void cs_cal_finish(cs_cal *c)
{
    (void)c;
}

/* The targets of a group (-1 all) and direction (-1 all) in one fresh
 * histogram. */
static int combined(cs_cal_hist *out, const cs_cal *c, int group, int dir)
{
    cs_cal_hist_init(out);
    for (size_t g = 0; g < c->ngroups; g++) {
        if (group >= 0 && (size_t)group != g)
            continue;
        for (int d = 0; d < CS_CAL_DIR_N; d++)
            if ((dir < 0 || dir == d) &&
                cs_cal_hist_merge(out, &c->group[g].target[d]) < 0) {
                cs_cal_hist_dispose(out);
                return CS_ENOMEM;
            }
    }
    return CS_OK;
}

int cs_cal_summary_of(cs_cal_summary *out, const cs_cal *c, int group,
                      int dir)
{
    cs_cal_hist h;
    uint64_t below = 0;

    if (combined(&h, c, group, dir) < 0)
        return CS_ENOMEM;
    cs_cal_hist_summary(out, &h);
    cs_cal_hist_dispose(&h);
    for (size_t g = 0; g < c->ngroups; g++)
        for (int i = 0; i < CS_GOAL_N; i++)
            if ((group < 0 || (size_t)group == g) &&
                (dir < 0 || cs_goal_direction(cs_goal_lb_week(i)) == dir))
                below += c->group[g].below[i];
    out->below = below;
    return CS_OK;
}

void cs_cal_link_compute(cs_cal_link_stats *s, const cs_cal *c,
                         const cs_report_opts *o)
{
    cs_report_opts def;

    if (!o) {
        cs_report_opts_init(&def);
        o = &def;
    }
    memset(s, 0, sizeof *s);
    for (int d = 0; d < CS_CAL_DIR_N; d++)
        s->risk_notes[d] = o->ci == CS_CI_EXACT
            ? cs_stats_clopper_pearson(&s->risk[d], c->link[d].cases,
                                       c->link[d].sessions, o->level)
            : cs_stats_wilson(&s->risk[d], c->link[d].cases,
                              c->link[d].sessions, o->level);
    /* Exposed: lose (then gain); unexposed: maintain. */
    for (int k = 0; k < 2; k++) {
        const cs_cal_link *e = &c->link[k == 0 ? 0 : 2], *u = &c->link[1];
        cs_2x2 *t = &s->t[k];
        *t = (cs_2x2){ e->cases, e->sessions - e->cases, u->cases,
                       u->sessions - u->cases };
        s->notes[k] |= cs_stats_rr(&s->rr[k], t, o->level);
        s->notes[k] |= cs_stats_rd(&s->rd[k], t, o->level);
        s->notes[k] |= cs_stats_fisher(&s->fisher_p[k], t);
    }
}

/* ---- the partial-state text -------------------------------------------- */

/* A list of appends and one check: the buffer's error is sticky. */
int cs_cal_write_partial(const cs_cal *c, cs_buf *b, cs_error *err)
{
    cs_buf_printf(b, "crampstat-partial %d calories\nby %s\ngroups ",
                  CS_CAL_VERSION, cs_cal_by_name(c->by));
    for (size_t g = 0; g < c->ngroups; g++)
        cs_buf_printf(b, "%s%s", g ? "," : "", cs_cal_group_name(c->by, g));
    cs_buf_printf(b, "\ngoals");
    for (int i = 0; i < CS_GOAL_N; i++)
        cs_buf_printf(b, "%c%s", i ? ',' : ' ', lb_text[i]);
    cs_buf_printf(b, "\nkcal %ld %ld\nparticipants %llu\n", CS_CAL_KCAL_MIN,
                  CS_CAL_KCAL_MAX, (unsigned long long)c->participants);
    for (int d = 0; d < CS_CAL_DIR_N; d++)
        cs_buf_printf(b, "link %s %llu %llu %llu\n", cs_goal_direction_name(d),
                      (unsigned long long)c->link[d].sessions,
                      (unsigned long long)c->link[d].cases,
                      (unsigned long long)c->link[d].unknown);
    for (size_t g = 0; g < c->ngroups && !cs_buf_error(b); g++) {
        const cs_cal_group *gr = &c->group[g];
        cs_buf_printf(b, "group %s\n", cs_cal_group_name(c->by, g));
        for (int i = 0; i < CS_GOAL_N; i++)
            if (gr->goal[i])
                cs_buf_printf(b, "goal %s %llu %llu\n", lb_text[i],
                              (unsigned long long)gr->goal[i],
                              (unsigned long long)gr->below[i]);
        for (int d = 0; d < CS_CAL_DIR_N; d++) {
            const cs_cal_hist *h = &gr->target[d];
            for (size_t i = 0; i < h->n; i++)
                if (h->count[i])
                    cs_buf_printf(b, "target %s %ld %llu\n",
                                  cs_goal_direction_name(d), h->lo + (long)i,
                                  (unsigned long long)h->count[i]);
        }
    }
    cs_buf_printf(b, "end\n");
    return cs_buf_check(b, err);
}

/* Parser state for one untrusted state text. */
/* The shared reader (src/ptext.c). */
typedef cs__ptext pstate;
#define perr cs__ptext_err
#define next_line cs__ptext_line
#define word cs__ptext_word
#define get_u64 cs__ptext_u64

/* A whole number of kcal in the state's range. */
static int get_kcal(pstate *ps, cs_str *s, long *out)
{
    cs_str w = word(s);
    size_t i = 0;
    long v = 0;
    int neg = 0;

    if (w.len > 0 && w.ptr[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (w.len == i || w.len - i > 6)
        goto bad;
    for (; i < w.len; i++) {
        if (w.ptr[i] < '0' || w.ptr[i] > '9')
            goto bad;
        v = v * 10 + (w.ptr[i] - '0');
    }
    v = neg ? -v : v;
    if (v < CS_CAL_KCAL_MIN || v > CS_CAL_KCAL_MAX)
        goto bad;
    *out = v;
    return CS_OK;
bad:
    return perr(ps, ps->line, "expected a whole number of kcal from %ld to %ld",
                CS_CAL_KCAL_MIN, CS_CAL_KCAL_MAX);
}

static int expect_key(pstate *ps, const char *key, cs_str *rest)
{
    cs_str line;
    int rc = next_line(ps, &line);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return perr(ps, ps->line, "the state is truncated: \"%s\" is missing",
                    key);
    if (!cs_str_eq(word(&line), key))
        return perr(ps, ps->line, "expected \"%s\"", key);
    *rest = line;
    return CS_OK;
}

static int direction_of(cs_str w)
{
    for (int d = 0; d < CS_CAL_DIR_N; d++)
        if (cs_str_eq(w, cs_goal_direction_name(d)))
            return d;
    return -1;
}

/* Where each group's lines began, for messages about its totals. */
typedef struct pgroup {
    unsigned long line;
    int last_goal;            /* goal lines come in tracker order */
    int last_dir;             /* target lines in (direction, kcal) order */
    long last_kcal;
} pgroup;

/* The totals a state must satisfy once read. */
static int check_totals(pstate *ps, const cs_cal *c, const pgroup *pg,
                        unsigned long participants_line)
{
    uint64_t all = 0;

    for (size_t g = 0; g < c->ngroups; g++) {
        const cs_cal_group *gr = &c->group[g];
        const char *gname = cs_cal_group_name(c->by, g);
        for (int d = 0; d < CS_CAL_DIR_N; d++) {
            uint64_t n = 0, below = 0;
            const cs_cal_hist *h = &gr->target[d];
            for (int i = 0; i < CS_GOAL_N; i++)
                if (cs_goal_direction(cs_goal_lb_week(i)) == d &&
                    (add_u64(&n, gr->goal[i]) < 0 ||
                     add_u64(&below, gr->below[i]) < 0))
                    return perr(ps, pg[g].line, "group %s: a count "
                                "overflows 64 bits", gname);
            if (n != h->total)
                return perr(ps, pg[g].line, "group %s: %llu participants "
                            "with a %s goal but %llu targets", gname,
                            (unsigned long long)n, cs_goal_direction_name(d),
                            (unsigned long long)h->total);
            /* With sex as the group the safe minimum is known; otherwise
             * it lies between the two. */
            uint64_t lo = hist_below(h, c->by == CS_CAL_BY_SEX
                                     ? cs_safe_min_kcal((int)g)
                                     : cs_safe_min_kcal(CS_SEX_F));
            uint64_t hi = hist_below(h, c->by == CS_CAL_BY_SEX
                                     ? cs_safe_min_kcal((int)g)
                                     : cs_safe_min_kcal(CS_SEX_M));
            if (below < lo || below > hi)
                return perr(ps, pg[g].line, "group %s: %llu participants "
                            "with a %s goal below the safe minimum do not "
                            "match the targets", gname,
                            (unsigned long long)below,
                            cs_goal_direction_name(d));
            if (add_u64(&all, n) < 0)
                return perr(ps, participants_line, "the participants of "
                            "the groups overflow 64 bits");
        }
    }
    if (all != c->participants)
        return perr(ps, participants_line, "participants %llu, but the "
                    "groups hold %llu", (unsigned long long)c->participants,
                    (unsigned long long)all);
    return CS_OK;
}

int cs_cal_read_partial(cs_cal *c, const char *name, const char *text,
                        size_t len, cs_error *err)
{
    pstate ps = { name, text, text + len, 0, err };
    pgroup pg[CS_CAL_GROUPS_MAX];
    cs_str line, rest, w;
    cs_buf expect;
    unsigned long pline;
    int rc, by, cur = -1;

    memset(c, 0, sizeof *c);
    cs_buf_init(&expect, 0);
    if ((rc = next_line(&ps, &line)) <= 0)
        return rc < 0 ? rc : perr(&ps, 1, "empty input: not a partial state");
    if (!cs_str_eq(line, "crampstat-partial 1 calories")) {
        if (line.len > 18 && memcmp(line.ptr, "crampstat-partial ", 18) == 0)
            return perr(&ps, 1, "unsupported partial state \"%.*s\" (this "
                        "crampstat reads \"crampstat-partial 1 calories\")",
                        (int)(line.len > 60 ? 60 : line.len), line.ptr);
        return perr(&ps, 1, "not a crampstat calories partial state");
    }
    if ((rc = expect_key(&ps, "by", &rest)) < 0)
        return rc;
    for (by = 0; by < CS_CAL_BY_N && !cs_str_eq(rest, by_names[by]); by++)
        ;
    if (by == CS_CAL_BY_N)
        return perr(&ps, ps.line, "by is sex, age_band or activity_level");
    cs_cal_init(c, by, err);
    /* The group and goal lists and the kcal range must be this
     * crampstat's: a state from a build that numbers them differently
     * would be misread. */
    cs_buf_printf(&expect, "groups ");
    for (size_t g = 0; g < c->ngroups; g++)
        cs_buf_printf(&expect, "%s%s", g ? "," : "", cs_cal_group_name(by, g));
    cs_buf_printf(&expect, "|goals");
    for (int i = 0; i < CS_GOAL_N; i++)
        cs_buf_printf(&expect, "%c%s", i ? ',' : ' ', lb_text[i]);
    cs_buf_printf(&expect, "|kcal %ld %ld|", CS_CAL_KCAL_MIN, CS_CAL_KCAL_MAX);
    if ((rc = cs_buf_check(&expect, err)) < 0)
        goto fail;
    for (const char *e = expect.ptr, *bar; (bar = strchr(e, '|')); e = bar + 1) {
        static const char *const what[] = { "group list", "goal list",
                                            "kcal range" };
        int k = e == expect.ptr ? 0 : strncmp(e, "goals", 5) == 0 ? 1 : 2;
        if ((rc = next_line(&ps, &line)) <= 0) {
            rc = rc < 0 ? rc : perr(&ps, ps.line, "the state is truncated: "
                                    "the %s is missing", what[k]);
            goto fail;
        }
        if (line.len != (size_t)(bar - e) || memcmp(line.ptr, e, line.len) != 0) {
            rc = perr(&ps, ps.line, "the %s differs from this crampstat's "
                      "(\"%.*s\")", what[k], (int)(bar - e), e);
            goto fail;
        }
    }
    if ((rc = expect_key(&ps, "participants", &rest)) < 0 ||
        (rc = get_u64(&ps, &rest, &c->participants)) < 0)
        goto fail;
    pline = ps.line;
    if (rest.len) {
        rc = perr(&ps, ps.line, "text after the count");
        goto fail;
    }
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        cs_cal_link *l = &c->link[d];
        if ((rc = expect_key(&ps, "link", &rest)) < 0)
            goto fail;
        if (direction_of(word(&rest)) != d) {
            rc = perr(&ps, ps.line, "expected the %s link line",
                      cs_goal_direction_name(d));
            goto fail;
        }
        if ((rc = get_u64(&ps, &rest, &l->sessions)) < 0 ||
            (rc = get_u64(&ps, &rest, &l->cases)) < 0 ||
            (rc = get_u64(&ps, &rest, &l->unknown)) < 0)
            goto fail;
        if (rest.len || l->cases > l->sessions) {
            rc = perr(&ps, ps.line, "inconsistent link line: more cases "
                      "than sessions, or text after the counts");
            goto fail;
        }
    }
    memset(pg, 0, sizeof pg);
    for (;;) {
        if ((rc = next_line(&ps, &line)) < 0)
            goto fail;
        if (rc == 0) {
            rc = perr(&ps, ps.line, "the state is truncated: \"end\" is "
                      "missing");
            goto fail;
        }
        rest = line;
        w = word(&rest);
        if (cs_str_eq(w, "end") && rest.len == 0)
            break;
        if (cs_str_eq(w, "group")) {
            size_t g;
            for (g = 0; g < c->ngroups && !cs_str_eq(rest, cs_cal_group_name(by, g)); g++)
                ;
            if (g == c->ngroups) {
                rc = perr(&ps, ps.line, "unknown group for by %s",
                          by_names[by]);
                goto fail;
            }
            if (pg[g].line) {
                rc = perr(&ps, ps.line, "group %s appears twice",
                          cs_cal_group_name(by, g));
                goto fail;
            }
            cur = (int)g;
            pg[g] = (pgroup){ ps.line, -1, -1, 0 };
        } else if (cs_str_eq(w, "goal") && cur >= 0) {
            cs_str lb = word(&rest);
            uint64_t n, below;
            int i;
            for (i = 0; i < CS_GOAL_N && !cs_str_eq(lb, lb_text[i]); i++)
                ;
            if (i == CS_GOAL_N) {
                rc = perr(&ps, ps.line, "unknown goal: the goals are 2, 1.5, "
                          "1, 0.5, 0, -0.5, -1, -1.5, -2 lb/week");
                goto fail;
            }
            if ((rc = get_u64(&ps, &rest, &n)) < 0 ||
                (rc = get_u64(&ps, &rest, &below)) < 0)
                goto fail;
            if (rest.len || n == 0 || below > n || i <= pg[cur].last_goal) {
                rc = perr(&ps, ps.line, "inconsistent goal line: a zero count, "
                          "more below the safe minimum than participants, or "
                          "goals repeated or out of tracker order");
                goto fail;
            }
            c->group[cur].goal[i] = n;
            c->group[cur].below[i] = below;
            pg[cur].last_goal = i;
        } else if (cs_str_eq(w, "target") && cur >= 0) {
            int d = direction_of(word(&rest));
            uint64_t n;
            long kcal = 0;
            if (d < 0) {
                rc = perr(&ps, ps.line, "the direction is lose, maintain or "
                          "gain");
                goto fail;
            }
            if ((rc = get_kcal(&ps, &rest, &kcal)) < 0 ||
                (rc = get_u64(&ps, &rest, &n)) < 0)
                goto fail;
            if (rest.len || n == 0 || d < pg[cur].last_dir ||
                (d == pg[cur].last_dir && kcal <= pg[cur].last_kcal)) {
                rc = perr(&ps, ps.line, "inconsistent target line: a zero "
                          "count, or targets repeated or out of order");
                goto fail;
            }
            rc = cs_cal_hist_add(&c->group[cur].target[d], kcal, n);
            if (rc == CS_ENOMEM) {
                rc = cs_error_set(err, CS_ENOMEM, "out of memory");
                goto fail;
            }
            if (rc < 0) {
                rc = perr(&ps, ps.line, "a count does not fit in 64 bits");
                goto fail;
            }
            pg[cur].last_dir = d;
            pg[cur].last_kcal = kcal;
        } else {
            rc = perr(&ps, ps.line, "unexpected line \"%.*s\"",
                      (int)(w.len > 40 ? 40 : w.len), w.ptr);
            goto fail;
        }
    }
    if (ps.p != ps.end) {
        rc = perr(&ps, ps.line + 1, "text after \"end\"");
        goto fail;
    }
    if ((rc = check_totals(&ps, c, pg, pline)) < 0)
        goto fail;
    cs_buf_dispose(&expect);
    return CS_OK;
fail:
    cs_buf_dispose(&expect);
    cs_cal_dispose(c);
    return rc;
}

/* ---- the report -------------------------------------------------------- */

#define NG (CS_CAL_GROUPS_MAX + 1)   /* the groups and "all" */
#define NK 4                         /* all directions, lose, maintain, gain */

static const char *const dir_names[NK] = { "all", "lose", "maintain", "gain" };

typedef struct crep {
    const cs_cal *c;
    const cs_report_opts *o;
    size_t ng;                       /* groups + 1; the last is "all" */
    const char *name[NG];
    uint64_t n[NG], goal[NG][CS_GOAL_N], below[NG][CS_GOAL_N];
    cs_cal_summary sum[NG][NK];      /* [k]: 0 all, 1 + direction */
    int rank[NG][CS_GOAL_N];         /* goals by participants below */
    int nrank[NG];
    long bin_lo;                     /* the shared 100 kcal bins */
    size_t nbins;
    uint64_t *bins;                  /* [(g * NK + k) * nbins + i] */
    cs_cal_link_stats link;
    uint64_t link_sessions, link_unknown;
} crep;

static uint64_t *bin_row(const crep *r, size_t g, int k)
{
    return r->bins + (g * NK + (size_t)k) * r->nbins;
}

static long floor100(long v)
{
    return v >= 0 ? v / CS_CAL_BIN_KCAL * CS_CAL_BIN_KCAL
                  : -((-v + CS_CAL_BIN_KCAL - 1) / CS_CAL_BIN_KCAL) * CS_CAL_BIN_KCAL;
}

/* The 100 kcal bins of one histogram through gsl_histogram. The ranges
 * are set one by one: gsl_histogram_set_ranges_uniform computes them as
 * (1 - i/n) min + (i/n) max, which need not give exact multiples of 100,
 * and a target of 1200 must never land in the 1100 bin. */
static int fill_bins(const crep *r, const cs_cal_hist *h, uint64_t *out,
                     double *ranges)
{
    gsl_histogram *gh;
    int rc = CS_OK;

    if (!(gh = gsl_histogram_alloc(r->nbins)))
        return CS_ENOMEM;
    if (gsl_histogram_set_ranges(gh, ranges, r->nbins + 1) != GSL_SUCCESS)
        rc = CS_ERROR;
    for (size_t i = 0; i < h->n && rc == CS_OK; i++)
        if (h->count[i] &&
            gsl_histogram_accumulate(gh, (double)(h->lo + (long)i),
                                     (double)h->count[i]) != GSL_SUCCESS)
            rc = CS_ERROR;
    /* Counts reach GSL as doubles: exact below 2^53 participants. */
    for (size_t i = 0; i < r->nbins && rc == CS_OK; i++)
        out[i] = (uint64_t)gsl_histogram_get(gh, i);
    gsl_histogram_free(gh);
    return rc;
}

static int compute(crep *r)
{
    const cs_cal *c = r->c;
    cs_cal_hist all;
    double *ranges = NULL;
    int rc = CS_OK;

    r->ng = c->ngroups + 1;
    for (size_t g = 0; g < r->ng; g++) {
        int gi = g < c->ngroups ? (int)g : -1;
        r->name[g] = gi < 0 ? "all" : cs_cal_group_name(c->by, g);
        for (int k = 0; k < NK && rc == CS_OK; k++)
            rc = cs_cal_summary_of(&r->sum[g][k], c, gi, k - 1);
        for (int i = 0; i < CS_GOAL_N; i++) {
            for (size_t h = 0; h < c->ngroups; h++)
                if (gi < 0 || (size_t)gi == h) {
                    r->goal[g][i] += c->group[h].goal[i];
                    r->below[g][i] += c->group[h].below[i];
                }
            r->n[g] += r->goal[g][i];
        }
        /* Goals by participants below the safe minimum, most first; ties
         * in tracker order (a stable insertion sort). */
        r->nrank[g] = 0;
        for (int i = 0; i < CS_GOAL_N; i++) {
            int j;
            if (!r->below[g][i])
                continue;
            for (j = r->nrank[g]; j > 0 &&
                 r->below[g][r->rank[g][j - 1]] < r->below[g][i]; j--)
                r->rank[g][j] = r->rank[g][j - 1];
            r->rank[g][j] = i;
            r->nrank[g]++;
        }
    }
    if (rc < 0)
        return rc;
    if (combined(&all, c, -1, -1) < 0)
        return CS_ENOMEM;
    if (all.total > 0) {
        cs_cal_summary s;
        cs_cal_hist_summary(&s, &all);
        r->bin_lo = floor100((long)s.min);
        r->nbins = (size_t)((floor100((long)s.max) - r->bin_lo) / CS_CAL_BIN_KCAL + 1);
        r->bins = calloc(r->ng * NK * r->nbins, sizeof *r->bins);
        ranges = malloc((r->nbins + 1) * sizeof *ranges);
        if (!r->bins || !ranges)
            rc = CS_ENOMEM;
        for (size_t i = 0; i <= r->nbins && rc == CS_OK; i++)
            ranges[i] = (double)(r->bin_lo + (long)i * CS_CAL_BIN_KCAL);
        for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
            for (int k = 0; k < NK && rc == CS_OK; k++) {
                cs_cal_hist h;
                if (combined(&h, c, g < c->ngroups ? (int)g : -1, k - 1) < 0) {
                    rc = CS_ENOMEM;
                    break;
                }
                rc = fill_bins(r, &h, bin_row(r, g, k), ranges);
                cs_cal_hist_dispose(&h);
            }
    }
    free(ranges);
    cs_cal_hist_dispose(&all);
    cs_cal_link_compute(&r->link, c, r->o);
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        r->link_sessions += c->link[d].sessions + c->link[d].unknown;
        r->link_unknown += c->link[d].unknown;
    }
    return rc;
}

static double share(uint64_t k, uint64_t n)
{
    return n ? (double)k / (double)n : NAN;
}

static const char quantile_text[] =
    "gsl_stats_quantile_from_sorted_data: linear interpolation between the "
    "order statistics around (n - 1) p";

static const char target_text[] =
    "Mifflin-St Jeor BMR x activity multiplier + goal_lb_week x 3500 / 7, "
    "rounded to whole kcal (halves away from zero)";

static const char outcome_text[] =
    "the outcome column of tag: hamstring cramp unless tag ran with "
    "--outcome any";

/* ---- JSON -------------------------------------------------------------- */

static void j_ci(cs_buf *b, const char *key, const cs_ci *c)
{
    cs_buf_printf(b, "\"%s\": {\"estimate\": ", key);
    cs_json_num(b, c->est);
    cs_buf_printf(b, ", \"lower\": ");
    cs_json_num(b, c->lo);
    cs_buf_printf(b, ", \"upper\": ");
    cs_json_num(b, c->hi);
    cs_buf_putc(b, '}');
}

static void j_notes(cs_buf *b, uint32_t notes)
{
    int first = 1;

    cs_buf_printf(b, "\"notes\": [");
    for (unsigned bit = 0; bit < 32; bit++) {
        const char *t = cs_stats_note_text(UINT32_C(1) << bit);
        if (!(notes & (UINT32_C(1) << bit)) || !t)
            continue;
        if (!first)
            cs_buf_printf(b, ", ");
        cs_json_str(b, t);
        first = 0;
    }
    cs_buf_putc(b, ']');
}

static void j_key_num(cs_buf *b, const char *key, double v)
{
    cs_buf_printf(b, ", \"%s\": ", key);
    cs_json_num(b, v);
}

/* A list of appends: the buffer's error is sticky, and is what returns. */
static int render_json(const crep *r, cs_buf *b)
{
    const cs_cal *c = r->c;
    const char *by = cs_cal_by_name(c->by);
    int first;

    cs_buf_printf(b, "{\"meta\": {\"tool\": \"crampstat\", \"command\": "
                  "\"calories\", \"format_version\": 1, \"by\": \"%s\", "
                  "\"participants\": %llu, \"unit\": \"participant, "
                  "latest survey wave\", \"target_kcal\": ", by,
                  (unsigned long long)c->participants);
    cs_json_str(b, target_text);
    cs_buf_printf(b, ", \"quantiles\": ");
    cs_json_str(b, quantile_text);
    cs_buf_printf(b, ", \"sd\": \"sample (n - 1)\", "
                  "\"safe_min_kcal\": {\"F\": %ld, \"M\": %ld}, "
                  "\"bin_kcal\": %d, \"sessions\": %llu, "
                  "\"sessions_used\": %llu, \"outcome_unknown\": "
                  "%llu, \"outcome\": ",
                  cs_safe_min_kcal(CS_SEX_F), cs_safe_min_kcal(CS_SEX_M),
                  CS_CAL_BIN_KCAL, (unsigned long long)r->link_sessions,
                  (unsigned long long)(r->link_sessions - r->link_unknown),
                  (unsigned long long)r->link_unknown);
    cs_json_str(b, outcome_text);
    j_key_num(b, "level", r->o->level);
    cs_buf_printf(b, ", \"risk_interval\": \"%s\"},\n"
                  "\"by\": \"%s\", \"participants\": %llu,\n"
                  "\"goals\": [",
                  r->o->ci == CS_CI_EXACT ? "Clopper-Pearson" : "Wilson",
                  by, (unsigned long long)c->participants);
    first = 1;
    for (size_t g = 0; g < r->ng; g++)
        for (int i = 0; i < CS_GOAL_N; i++) {
            cs_buf_printf(b, "%s\n  {\"group\": ", first ? "" : ",");
            cs_json_str(b, r->name[g]);
            cs_buf_printf(b, ", \"goal\": ");
            cs_json_str(b, cs_goal_text(i));
            j_key_num(b, "lb_per_week", cs_goal_lb_week(i));
            cs_buf_printf(b, ", \"count\": %llu",
                          (unsigned long long)r->goal[g][i]);
            j_key_num(b, "share", share(r->goal[g][i], r->n[g]));
            cs_buf_printf(b, ", \"below_safe_min\": %llu}",
                          (unsigned long long)r->below[g][i]);
            first = 0;
        }
    cs_buf_printf(b, "],\n\"targets\": [");
    first = 1;
    for (size_t g = 0; g < r->ng; g++)
        for (int k = 0; k < NK; k++) {
            const cs_cal_summary *s = &r->sum[g][k];
            cs_buf_printf(b, "%s\n  {\"group\": ", first ? "" : ",");
            cs_json_str(b, r->name[g]);
            cs_buf_printf(b, ", \"direction\": \"%s\", \"n\": %llu",
                          dir_names[k], (unsigned long long)s->n);
            j_key_num(b, "mean", s->mean);
            j_key_num(b, "sd", s->sd);
            j_key_num(b, "min", s->min);
            j_key_num(b, "p5", s->p5);
            j_key_num(b, "p25", s->p25);
            j_key_num(b, "p50", s->p50);
            j_key_num(b, "p75", s->p75);
            j_key_num(b, "p95", s->p95);
            j_key_num(b, "max", s->max);
            j_key_num(b, "below_safe_min", share(s->below, s->n));
            cs_buf_printf(b, ", \"below_safe_min_count\": %llu}",
                          (unsigned long long)s->below);
            first = 0;
        }
    cs_buf_printf(b, "],\n\"histograms\": [");
    for (size_t g = 0; g < r->ng; g++) {
        cs_buf_printf(b, "%s\n  {\"group\": ", g ? "," : "");
        cs_json_str(b, r->name[g]);
        cs_buf_printf(b, ", \"bin_kcal\": %d, \"bins\": [", CS_CAL_BIN_KCAL);
        for (size_t i = 0; i < r->nbins; i++) {
            long lo = r->bin_lo + (long)i * CS_CAL_BIN_KCAL;
            cs_buf_printf(b, "%s\n    {\"lower\": %ld, \"upper\": %ld, "
                          "\"count\": %llu, \"lose\": %llu, \"maintain\": "
                          "%llu, \"gain\": %llu}", i ? "," : "", lo,
                          lo + CS_CAL_BIN_KCAL,
                          (unsigned long long)bin_row(r, g, 0)[i],
                          (unsigned long long)bin_row(r, g, 1)[i],
                          (unsigned long long)bin_row(r, g, 2)[i],
                          (unsigned long long)bin_row(r, g, 3)[i]);
        }
        cs_buf_printf(b, "]}");
    }
    cs_buf_printf(b, "],\n\"below_safe_min_goals\": [");
    first = 1;
    for (size_t g = 0; g < r->ng; g++)
        for (int j = 0; j < r->nrank[g]; j++) {
            int i = r->rank[g][j];
            cs_buf_printf(b, "%s\n  {\"group\": ", first ? "" : ",");
            cs_json_str(b, r->name[g]);
            cs_buf_printf(b, ", \"goal\": ");
            cs_json_str(b, cs_goal_text(i));
            j_key_num(b, "lb_per_week", cs_goal_lb_week(i));
            cs_buf_printf(b, ", \"count\": %llu",
                          (unsigned long long)r->below[g][i]);
            j_key_num(b, "share_of_below",
                      share(r->below[g][i], r->sum[g][0].below));
            j_key_num(b, "share_of_goal",
                      share(r->below[g][i], r->goal[g][i]));
            cs_buf_putc(b, '}');
            first = 0;
        }
    cs_buf_printf(b, "],\n\"cramp_link\": {\"sessions\": %llu, "
                  "\"sessions_used\": %llu, \"outcome_unknown\": "
                  "%llu, \"directions\": [",
                  (unsigned long long)r->link_sessions,
                  (unsigned long long)(r->link_sessions - r->link_unknown),
                  (unsigned long long)r->link_unknown);
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        const cs_cal_link *l = &c->link[d];
        cs_buf_printf(b, "%s\n  {\"direction\": \"%s\", \"sessions\": %llu, "
                      "\"cases\": %llu, \"outcome_unknown\": %llu, ",
                      d ? "," : "", cs_goal_direction_name(d),
                      (unsigned long long)l->sessions,
                      (unsigned long long)l->cases,
                      (unsigned long long)l->unknown);
        j_ci(b, "risk", &r->link.risk[d]);
        cs_buf_printf(b, ", ");
        j_notes(b, r->link.risk_notes[d]);
        cs_buf_putc(b, '}');
    }
    cs_buf_printf(b, "],\n  \"comparisons\": [");
    for (int k = 0; k < 2; k++) {
        const cs_2x2 *t = &r->link.t[k];
        cs_buf_printf(b, "%s\n  {\"exposed\": \"%s\", \"reference\": "
                      "\"maintain\", \"a\": %llu, \"b\": %llu, \"c\": %llu, "
                      "\"d\": %llu, ", k ? "," : "", k ? "gain" : "lose",
                      (unsigned long long)t->a, (unsigned long long)t->b,
                      (unsigned long long)t->c, (unsigned long long)t->d);
        j_ci(b, "risk_ratio", &r->link.rr[k]);
        cs_buf_printf(b, ", ");
        j_ci(b, "risk_difference", &r->link.rd[k]);
        j_key_num(b, "fisher_p", r->link.fisher_p[k]);
        cs_buf_printf(b, ", ");
        j_notes(b, r->link.notes[k]);
        cs_buf_putc(b, '}');
    }
    cs_buf_printf(b, "]}}\n");
    return cs_buf_error(b);
}

/* ---- CSV and TSV: one long table ----------------------------------------- */

enum {
    C_SECTION, C_GROUP, C_DIRECTION, C_GOAL, C_LB, C_COUNT, C_SHARE, C_N,
    C_MEAN, C_SD, C_MIN, C_P5, C_P25, C_P50, C_P75, C_P95, C_MAX, C_BELOW,
    C_BELOW_N, C_BIN_LO, C_BIN_HI, C_LOSE, C_MAINTAIN, C_GAIN, C_SESSIONS,
    C_CASES, C_UNKNOWN, C_MEASURE, C_EST, C_LO, C_HI, C_P, C_NOTES, C_NCOL
};

static const char *const csv_header[C_NCOL] = {
    "section", "group", "direction", "goal", "lb_per_week", "count", "share",
    "n", "mean", "sd", "min", "p5", "p25", "p50", "p75", "p95", "max",
    "below_safe_min", "below_safe_min_count", "bin_lower", "bin_upper",
    "lose", "maintain", "gain", "sessions", "cases", "outcome_unknown",
    "measure", "estimate", "lower", "upper", "p", "notes"
};

typedef struct row {
    char v[C_NCOL][320];
    const char *cell[C_NCOL];
} row;

static void row_clear(row *w)
{
    for (int i = 0; i < C_NCOL; i++) {
        w->v[i][0] = '\0';
        w->cell[i] = w->v[i];
    }
}

static void row_s(row *w, int i, const char *s)
{
    snprintf(w->v[i], sizeof w->v[i], "%s", s);
}

static void row_u(row *w, int i, uint64_t u)
{
    snprintf(w->v[i], sizeof w->v[i], "%llu", (unsigned long long)u);
}

static void row_d(row *w, int i, double d)
{
    cs_fmt_double(w->v[i], sizeof w->v[i], d);
}

static void row_ci(row *w, const cs_ci *c)
{
    row_d(w, C_EST, c->est);
    row_d(w, C_LO, c->lo);
    row_d(w, C_HI, c->hi);
}

static int render_csv(const crep *r, cs_buf *b)
{
    const cs_cal *c = r->c;
    cs_table t;
    row *w = malloc(sizeof *w);
    int rc;

    if (!w)
        return CS_ENOMEM;
    if ((rc = cs_table_init(&t, C_NCOL, csv_header)) < 0) {
        free(w);
        return rc;
    }
    for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
        for (int i = 0; i < CS_GOAL_N && rc == CS_OK; i++) {
            row_clear(w);
            row_s(w, C_SECTION, "goal");
            row_s(w, C_GROUP, r->name[g]);
            row_s(w, C_GOAL, cs_goal_text(i));
            row_d(w, C_LB, cs_goal_lb_week(i));
            row_u(w, C_COUNT, r->goal[g][i]);
            row_d(w, C_SHARE, share(r->goal[g][i], r->n[g]));
            row_u(w, C_BELOW_N, r->below[g][i]);
            rc = cs_table_add(&t, w->cell);
        }
    for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
        for (int k = 0; k < NK && rc == CS_OK; k++) {
            const cs_cal_summary *s = &r->sum[g][k];
            row_clear(w);
            row_s(w, C_SECTION, "target");
            row_s(w, C_GROUP, r->name[g]);
            row_s(w, C_DIRECTION, dir_names[k]);
            row_u(w, C_N, s->n);
            row_d(w, C_MEAN, s->mean);
            row_d(w, C_SD, s->sd);
            row_d(w, C_MIN, s->min);
            row_d(w, C_P5, s->p5);
            row_d(w, C_P25, s->p25);
            row_d(w, C_P50, s->p50);
            row_d(w, C_P75, s->p75);
            row_d(w, C_P95, s->p95);
            row_d(w, C_MAX, s->max);
            row_d(w, C_BELOW, share(s->below, s->n));
            row_u(w, C_BELOW_N, s->below);
            rc = cs_table_add(&t, w->cell);
        }
    for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
        for (size_t i = 0; i < r->nbins && rc == CS_OK; i++) {
            long lo = r->bin_lo + (long)i * CS_CAL_BIN_KCAL;
            row_clear(w);
            row_s(w, C_SECTION, "histogram");
            row_s(w, C_GROUP, r->name[g]);
            snprintf(w->v[C_BIN_LO], sizeof w->v[C_BIN_LO], "%ld", lo);
            snprintf(w->v[C_BIN_HI], sizeof w->v[C_BIN_HI], "%ld",
                     lo + CS_CAL_BIN_KCAL);
            row_u(w, C_COUNT, bin_row(r, g, 0)[i]);
            row_u(w, C_LOSE, bin_row(r, g, 1)[i]);
            row_u(w, C_MAINTAIN, bin_row(r, g, 2)[i]);
            row_u(w, C_GAIN, bin_row(r, g, 3)[i]);
            rc = cs_table_add(&t, w->cell);
        }
    for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
        for (int j = 0; j < r->nrank[g] && rc == CS_OK; j++) {
            int i = r->rank[g][j];
            row_clear(w);
            row_s(w, C_SECTION, "below_safe_min_goal");
            row_s(w, C_GROUP, r->name[g]);
            row_s(w, C_GOAL, cs_goal_text(i));
            row_d(w, C_LB, cs_goal_lb_week(i));
            row_u(w, C_COUNT, r->below[g][i]);
            row_d(w, C_SHARE, share(r->below[g][i], r->sum[g][0].below));
            rc = cs_table_add(&t, w->cell);
        }
    for (int d = 0; d < CS_CAL_DIR_N && rc == CS_OK; d++) {
        row_clear(w);
        row_s(w, C_SECTION, "cramp_risk");
        row_s(w, C_DIRECTION, cs_goal_direction_name(d));
        row_u(w, C_SESSIONS, c->link[d].sessions);
        row_u(w, C_CASES, c->link[d].cases);
        row_u(w, C_UNKNOWN, c->link[d].unknown);
        row_s(w, C_MEASURE, "risk");
        row_ci(w, &r->link.risk[d]);
        cs_stats_notes_format(w->v[C_NOTES], sizeof w->v[C_NOTES],
                              r->link.risk_notes[d]);
        rc = cs_table_add(&t, w->cell);
    }
    for (int k = 0; k < 2 && rc == CS_OK; k++)
        for (int m = 0; m < 3 && rc == CS_OK; m++) {
            static const char *const measures[3] = {
                "risk_ratio", "risk_difference", "fisher_exact"
            };
            row_clear(w);
            row_s(w, C_SECTION, "cramp_comparison");
            row_s(w, C_DIRECTION, k ? "gain vs maintain" : "lose vs maintain");
            row_u(w, C_SESSIONS, r->link.t[k].a + r->link.t[k].b +
                                 r->link.t[k].c + r->link.t[k].d);
            row_u(w, C_CASES, r->link.t[k].a + r->link.t[k].c);
            row_s(w, C_MEASURE, measures[m]);
            if (m < 2)
                row_ci(w, m ? &r->link.rd[k] : &r->link.rr[k]);
            else
                row_d(w, C_P, r->link.fisher_p[k]);
            if (m == 0)
                cs_stats_notes_format(w->v[C_NOTES], sizeof w->v[C_NOTES],
                                      r->link.notes[k]);
            rc = cs_table_add(&t, w->cell);
        }
    rc = rc ? rc : cs_table_render(&t, r->o->format, r->o->safe_csv, b);
    cs_table_dispose(&t);
    free(w);
    return rc;
}

/* ---- pretty and Markdown ----------------------------------------------- */

static void heading(cs_buf *b, int md, const char *text)
{
    cs_buf_printf(b, md ? "\n## %s\n\n" : "\n%s\n", text);
}

/* One histogram as a text bar chart of at most 79 columns: a stacked bar
 * per 100 kcal bin, '<' lose, '=' maintain, '>' gain. Segment ends are
 * rounded from cumulative counts so that the bar's length is the bin's
 * total at the chart's scale. */
static void chart(const crep *r, size_t g, cs_buf *b)
{
    const int width = 79 - 23;   /* "%6ld %6ld %7llu |" is 23 wide */
    uint64_t max = 0;

    for (size_t i = 0; i < r->nbins; i++)
        if (bin_row(r, g, 0)[i] > max)
            max = bin_row(r, g, 0)[i];
    cs_buf_printf(b, "%s: %llu participants; < lose, = maintain, > gain",
                  r->name[g], (unsigned long long)r->n[g]);
    if (max == 0) {
        cs_buf_printf(b, "\n  (nobody)\n");
        return;
    }
    cs_buf_printf(b, "; %d columns = %llu", width, (unsigned long long)max);
    cs_buf_printf(b, "\n  from     to   count\n");
    for (size_t i = 0; i < r->nbins && !cs_buf_error(b); i++) {
        long lo = r->bin_lo + (long)i * CS_CAL_BIN_KCAL;
        uint64_t cum = 0;
        int at = 0;
        cs_buf_printf(b, "%6ld %6ld %7llu |", lo, lo + CS_CAL_BIN_KCAL,
                      (unsigned long long)bin_row(r, g, 0)[i]);
        for (int k = 1; k < NK; k++) {
            int end;
            cum += bin_row(r, g, k)[i];
            end = (int)(((long double)cum * width) / (long double)max + 0.5L);
            for (; at < end; at++)
                cs_buf_putc(b, "<=>"[k - 1]);
        }
        if (at == 0 && bin_row(r, g, 0)[i] > 0)
            cs_buf_putc(b, '.');   /* a few, below half a column */
        cs_buf_putc(b, '\n');
    }
}

/* Appends, with rc only for the tables (which allocate): the buffer's
 * error is sticky and joins rc at the end. */
static int render_text(const crep *r, cs_buf *b)
{
    const cs_report_opts *o = r->o;
    const cs_cal *c = r->c;
    const int md = o->format == CS_FMT_MD;
    const int lvl = (int)lround(o->level * 100);
    char cellv[16][64], title[160];
    const char *cells[16];
    cs_table t;
    int rc = CS_OK;

    for (int i = 0; i < 16; i++)
        cells[i] = cellv[i];
    if (md) {
        cs_buf_printf(b, "# Calorie goals and targets\n\n"
                      "- participants: %llu (latest survey wave each), "
                      "by %s\n- target_kcal: %s\n- quantiles: %s\n"
                      "- safe minimum: %ld kcal (F), %ld kcal (M)\n",
                      (unsigned long long)c->participants,
                      cs_cal_by_name(c->by), target_text, quantile_text,
                      cs_safe_min_kcal(CS_SEX_F), cs_safe_min_kcal(CS_SEX_M));
    } else {
        cs_buf_printf(b, "crampstat calories: calorie goals and targets\n"
                      "participants: %llu (latest survey wave each), by %s\n"
                      "target_kcal:  Mifflin-St Jeor BMR x activity "
                      "multiplier + goal x 3500/7\n"
                      "quantiles:    gsl_stats_quantile_from_sorted_data "
                      "(linear, at (n - 1) p)\n"
                      "safe minimum: %ld kcal (F), %ld kcal (M)\n",
                      (unsigned long long)c->participants,
                      cs_cal_by_name(c->by), cs_safe_min_kcal(CS_SEX_F),
                      cs_safe_min_kcal(CS_SEX_M));
    }
    if (c->participants > 0) {
        const char *hdr[NG + 2];
        hdr[0] = "goal";
        hdr[1] = "lb/week";
        for (size_t g = 0; g < r->ng; g++)
            hdr[2 + g] = r->name[g];
        if ((rc = cs_table_init(&t, 2 + r->ng, hdr)) < 0)
            return rc;
        for (int i = 0; i <= CS_GOAL_N && rc == CS_OK; i++) {
            snprintf(cellv[0], sizeof cellv[0], "%s",
                     i < CS_GOAL_N ? cs_goal_text(i) : "all goals");
            snprintf(cellv[1], sizeof cellv[1], "%s", i < CS_GOAL_N ? lb_text[i] : "");
            for (size_t g = 0; g < r->ng; g++) {
                uint64_t k = i < CS_GOAL_N ? r->goal[g][i] : r->n[g];
                char pct[32];
                cs_fmt_disp(pct, sizeof pct, 100 * share(k, r->n[g]), 1);
                snprintf(cellv[2 + g], sizeof cellv[2 + g], "%llu %s%%",
                         (unsigned long long)k, pct);
            }
            rc = cs_table_add(&t, cells);
        }
        heading(b, md, "Calorie goals (participants, % of the group)");
        rc = rc ? rc : cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        static const char *const thdr[] = {
            "group", "direction", "n", "mean", "sd", "min", "p5", "p25",
            "median", "p75", "p95", "max", "< safe min"
        };
        if (rc || cs_table_init(&t, 13, thdr) < 0)
            return rc ? rc : CS_ENOMEM;
        for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
            for (int k = 0; k < NK && rc == CS_OK; k++) {
                const cs_cal_summary *s = &r->sum[g][k];
                const double v[9] = { s->mean, s->sd, s->min, s->p5, s->p25,
                                      s->p50, s->p75, s->p95, s->max };
                snprintf(cellv[0], sizeof cellv[0], "%s", r->name[g]);
                snprintf(cellv[1], sizeof cellv[1], "%s", dir_names[k]);
                snprintf(cellv[2], sizeof cellv[2], "%llu", (unsigned long long)s->n);
                /* min and max are whole kcal; the rest may not be. */
                for (int j = 0; j < 9; j++)
                    cs_fmt_disp(cellv[3 + j], sizeof cellv[3 + j], v[j],
                                j == 2 || j == 8 ? 0 : 1);
                cs_fmt_disp(cellv[12], sizeof cellv[12],
                            100 * share(s->below, s->n), 1);
                if (s->n)
                    snprintf(cellv[12] + strlen(cellv[12]),
                             sizeof cellv[12] - strlen(cellv[12]), "%%");
                rc = cs_table_add(&t, cells);
            }
        heading(b, md, "target_kcal by goal direction");
        rc = rc ? rc : cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        static const char *const bhdr[] = {
            "group", "goal", "below", "% of below", "% of the goal"
        };
        if (rc || cs_table_init(&t, 5, bhdr) < 0)
            return rc ? rc : CS_ENOMEM;
        for (size_t g = 0; g < r->ng && rc == CS_OK; g++)
            for (int j = 0; j < r->nrank[g] && rc == CS_OK; j++) {
                int i = r->rank[g][j];
                snprintf(cellv[0], sizeof cellv[0], "%s", r->name[g]);
                snprintf(cellv[1], sizeof cellv[1], "%s", cs_goal_text(i));
                snprintf(cellv[2], sizeof cellv[2], "%llu",
                         (unsigned long long)r->below[g][i]);
                cs_fmt_disp(cellv[3], sizeof cellv[3],
                            100 * share(r->below[g][i], r->sum[g][0].below), 1);
                cs_fmt_disp(cellv[4], sizeof cellv[4],
                            100 * share(r->below[g][i], r->goal[g][i]), 1);
                rc = cs_table_add(&t, cells);
            }
        heading(b, md, "Goals leading below the safe minimum, most often first");
        if (rc == CS_OK && t.nrows == 0)
            cs_buf_printf(b, "nobody is below the safe minimum\n");
        else
            rc = rc ? rc : cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        heading(b, md, "target_kcal histograms, 100 kcal bins");
        for (size_t g = 0; g < r->ng; g++) {
            cs_buf_printf(b, md ? "%s```\n" : "%s", g ? "\n" : "");
            chart(r, g, b);
            if (md)
                cs_buf_printf(b, "```\n");
        }
    } else {
        cs_buf_printf(b, "%s(no participants: give the survey for goals and "
                      "targets)\n", md ? "\n" : "");
    }
    if (rc || cs_buf_error(b) || r->link_sessions == 0)
        return rc ? rc : cs_buf_error(b);

    /* The cramp link. */
    {
        char h_risk[40], h_rr[40], h_rd[48];
        char notes[256];
        const char *lhdr[5];
        snprintf(h_risk, sizeof h_risk, "risk %% (%d%% CI)", lvl);
        lhdr[0] = "goal direction";
        lhdr[1] = "sessions";
        lhdr[2] = "cases";
        lhdr[3] = h_risk;
        lhdr[4] = "outcome unknown";
        if ((rc = cs_table_init(&t, 5, lhdr)) < 0)
            return rc;
        for (int d = 0; d < CS_CAL_DIR_N && rc == CS_OK; d++) {
            const cs_ci *ci = &r->link.risk[d];
            snprintf(cellv[0], sizeof cellv[0], "%s", cs_goal_direction_name(d));
            snprintf(cellv[1], sizeof cellv[1], "%llu",
                     (unsigned long long)c->link[d].sessions);
            snprintf(cellv[2], sizeof cellv[2], "%llu",
                     (unsigned long long)c->link[d].cases);
            cs_fmt_ci(cellv[3], sizeof cellv[3], 100 * ci->est, 100 * ci->lo,
                      100 * ci->hi, 2);
            snprintf(cellv[4], sizeof cellv[4], "%llu",
                     (unsigned long long)c->link[d].unknown);
            rc = cs_table_add(&t, cells);
        }
        snprintf(title, sizeof title, "Cramp risk by goal direction (%llu "
                 "tagged sessions, %llu with the outcome unknown left out; "
                 "%s interval)", (unsigned long long)r->link_sessions,
                 (unsigned long long)r->link_unknown,
                 o->ci == CS_CI_EXACT ? "Clopper-Pearson" : "Wilson");
        heading(b, md, title);
        rc = rc ? rc : cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        snprintf(h_rr, sizeof h_rr, "risk ratio (%d%% CI)", lvl);
        snprintf(h_rd, sizeof h_rd, "risk diff. pp (%d%% CI)", lvl);
        const char *chdr[] = { "comparison", h_rr, h_rd, "Fisher p", "notes" };
        if (rc || cs_table_init(&t, 5, chdr) < 0)
            return rc ? rc : CS_ENOMEM;
        cells[4] = notes;
        for (int k = 0; k < 2 && rc == CS_OK; k++) {
            snprintf(cellv[0], sizeof cellv[0], "%s vs maintain", k ? "gain" : "lose");
            cs_fmt_ci(cellv[1], sizeof cellv[1], r->link.rr[k].est,
                      r->link.rr[k].lo, r->link.rr[k].hi, 2);
            cs_fmt_ci(cellv[2], sizeof cellv[2], 100 * r->link.rd[k].est,
                      100 * r->link.rd[k].lo, 100 * r->link.rd[k].hi, 2);
            cs_fmt_p(cellv[3], sizeof cellv[3], r->link.fisher_p[k]);
            cs_stats_notes_format(notes, sizeof notes, r->link.notes[k]);
            rc = cs_table_add(&t, cells);
        }
        cells[4] = cellv[4];
        heading(b, md, "Goal direction against maintain (Katz RR, Wald RD, "
                "Fisher's exact p)");
        rc = rc ? rc : cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);
    }
    return rc ? rc : cs_buf_error(b);
}

int cs_cal_render(const cs_cal *c, const cs_report_opts *o, cs_buf *out,
                  cs_error *err)
{
    crep *r = calloc(1, sizeof *r);
    cs_report_opts def;
    int rc;

    if (!r)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (!o) {
        cs_report_opts_init(&def);
        o = &def;
    }
    r->c = c;
    r->o = o;
    rc = compute(r);
    if (rc == CS_OK) {
        switch (o->format) {
        case CS_FMT_JSON: rc = render_json(r, out); break;
        case CS_FMT_CSV:
        case CS_FMT_TSV: rc = render_csv(r, out); break;
        default: rc = render_text(r, out); break;
        }
    }
    free(r->bins);
    free(r);
    /* The text's own error says why (its cap, say); else it was a table
     * or GSL's histogram. */
    if (rc < 0) {
        int code = cs_buf_check(out, err);
        return code ? code
                    : cs_error_set(err, rc, rc == CS_ENOMEM ? "out of memory"
                                   : "cannot bin the calorie targets");
    }
    return CS_OK;
}
