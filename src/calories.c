/* Calorie goals per participant, and the cramp link by goal direction.
 * Participants come from each one's latest survey wave (cs_survey_latest),
 * sessions from tag's output. The state is integers only: goal counts and
 * an exact histogram of target_kcal with 1 kcal bins per group and goal
 * direction. Because targets are whole kcal, that histogram is the sorted
 * data in compressed form, so quantiles after a merge are exact, and every
 * statistic is a function of the histogram read in kcal order: a merged
 * report is the single-pass report, byte for byte.
 *
 * This file holds the state: the accumulator, its merge and its
 * partial-state text in both directions. calories_report.c renders it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/fmt.h>
#include "internal.h"

/* The nine goals as the state writes them: the signed lb/week. */
static const char *const lb_text[CS_GOAL_N] = {
    "2", "1.5", "1", "0.5", "0", "-0.5", "-1", "-1.5", "-2"
};

const char *cs__cal_lb_text(int goal)
{
    return lb_text[goal];
}

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
    c->outcome = CS_CAL_OUTCOME_UNKNOWN;
    return CS_OK;
}

int cs_cal_counts_sessions(const cs_cal *c)
{
    for (int d = 0; d < CS_CAL_DIR_N; d++)
        if (c->link[d].sessions || c->link[d].unknown)
            return 1;
    return 0;
}

static const char *outcome_name(int o)
{
    return o == CS_OUTCOME_HAMSTRING ? "hamstring"
         : o == CS_OUTCOME_ANY ? "any" : "not recorded";
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
    uint64_t bits;

    memcpy(&bits, &goal_lb_week, sizeof bits);
    if (bits != c->last_goal_bits) {
        if (cs_goal_index(goal_lb_week) < 0)
            return cs_error_set(err, CS_EDATA, "goal_lb_week %g is not one "
                                "of the nine goals (-2 ... 2 in steps of "
                                "0.5)", goal_lb_week);
        c->last_goal_bits = bits;
        c->last_dir_less_1 = cs_goal_direction(goal_lb_week) - 1;
    }
    l = &c->link[c->last_dir_less_1 + 1];
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
    /* Risks of hamstring cramps and of any cramp do not add up. A state
     * without tagged sessions (a survey's) goes with either. */
    if (cs_cal_counts_sessions(into) && cs_cal_counts_sessions(from) &&
        (into->outcome != from->outcome ||
         into->outcome == CS_CAL_OUTCOME_UNKNOWN))
        return cs_error_set(err, CS_EDATA, "the states count the cramp link "
                            "of different outcomes (%s vs %s)%s",
                            outcome_name(into->outcome),
                            outcome_name(from->outcome),
                            into->outcome == CS_CAL_OUTCOME_UNKNOWN ||
                            from->outcome == CS_CAL_OUTCOME_UNKNOWN
                            ? ": a state made before the outcome was recorded "
                              "cannot be merged with another that counts "
                              "tagged sessions; make it again with this "
                              "crampstat (calories --outcome as tag had it)"
                            : "");
    if (!cs_cal_counts_sessions(into))
        into->outcome = from->outcome;
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

int cs__cal_combined(cs_cal_hist *out, const cs_cal *c, int group, int dir)
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

    if (cs__cal_combined(&h, c, group, dir) < 0)
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

/* The lines of the "calories" section. */
static void cal_write(const cs_cal *c, cs_buf *b)
{
    cs_buf_printf(b, "by %s\ngroups ", cs_cal_by_name(c->by));
    for (size_t g = 0; g < c->ngroups; g++)
        cs_buf_printf(b, "%s%s", g ? "," : "", cs_cal_group_name(c->by, g));
    cs_buf_printf(b, "\ngoals");
    for (int i = 0; i < CS_GOAL_N; i++)
        cs_buf_printf(b, "%c%s", i ? ',' : ' ', lb_text[i]);
    cs_buf_printf(b, "\nkcal %ld %ld\nparticipants %llu\n", CS_CAL_KCAL_MIN,
                  CS_CAL_KCAL_MAX, (unsigned long long)c->participants);
    if (cs_cal_counts_sessions(c) && c->outcome != CS_CAL_OUTCOME_UNKNOWN)
        cs_buf_printf(b, "outcome %s\n", outcome_name(c->outcome));
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

/* The "calories" section's lines, from an untrusted state. */
static int cal_read(cs_cal *c, pstate *t)
{
    pgroup pg[CS_CAL_GROUPS_MAX];
    cs_str line, rest, w;
    cs_buf expect;
    unsigned long pline, oline = 0;
    int rc, by, cur = -1;
    pstate *ps = t;
    cs_error *err = t->err;

    memset(c, 0, sizeof *c);
    cs_buf_init(&expect, 0);
    if ((rc = cs__ptext_key(ps, "by", &rest)) < 0)
        return rc;
    for (by = 0; by < CS_CAL_BY_N && !cs_str_eq(rest, by_names[by]); by++)
        ;
    if (by == CS_CAL_BY_N)
        return perr(ps, ps->line, "by is sex, age_band or activity_level");
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
        if ((rc = next_line(ps, &line)) <= 0) {
            rc = rc < 0 ? rc : perr(ps, ps->line, "the state is truncated: "
                                    "the %s is missing", what[k]);
            goto fail;
        }
        if (line.len != (size_t)(bar - e) || memcmp(line.ptr, e, line.len) != 0) {
            rc = perr(ps, ps->line, "the %s differs from this crampstat's "
                      "(\"%.*s\")", what[k], (int)(bar - e), e);
            goto fail;
        }
    }
    if ((rc = cs__ptext_key(ps, "participants", &rest)) < 0 ||
        (rc = get_u64(ps, &rest, &c->participants)) < 0)
        goto fail;
    pline = ps->line;
    if (rest.len) {
        rc = perr(ps, ps->line, "text after the count");
        goto fail;
    }
    {
        /* "outcome hamstring|any": which cramps the link counts; states
         * written before it was recorded go on with the link lines. */
        const char *at = ps->p;
        unsigned long at_line = ps->line;
        if ((rc = next_line(ps, &line)) < 0)
            goto fail;
        rest = line;
        if (rc > 0 && cs_str_eq(word(&rest), "outcome")) {
            if (cs_str_eq(rest, "hamstring"))
                c->outcome = CS_OUTCOME_HAMSTRING;
            else if (cs_str_eq(rest, "any"))
                c->outcome = CS_OUTCOME_ANY;
            else {
                rc = perr(ps, ps->line, "outcome is hamstring or any");
                goto fail;
            }
            oline = ps->line;
        } else {
            ps->p = at;
            ps->line = at_line;
        }
    }
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        cs_cal_link *l = &c->link[d];
        if ((rc = cs__ptext_key(ps, "link", &rest)) < 0)
            goto fail;
        if (direction_of(word(&rest)) != d) {
            rc = perr(ps, ps->line, "expected the %s link line",
                      cs_goal_direction_name(d));
            goto fail;
        }
        if ((rc = get_u64(ps, &rest, &l->sessions)) < 0 ||
            (rc = get_u64(ps, &rest, &l->cases)) < 0 ||
            (rc = get_u64(ps, &rest, &l->unknown)) < 0)
            goto fail;
        if (rest.len || l->cases > l->sessions) {
            rc = perr(ps, ps->line, "inconsistent link line: more cases "
                      "than sessions, or text after the counts");
            goto fail;
        }
    }
    memset(pg, 0, sizeof pg);
    for (;;) {
        if ((rc = next_line(ps, &line)) < 0)
            goto fail;
        if (rc == 0 && ps->p == ps->end) {
            rc = perr(ps, ps->line, "the state is truncated: \"end\" is "
                      "missing");
            goto fail;
        }
        if (rc == 0)
            break;              /* the section's end */
        rest = line;
        w = word(&rest);
        if (cs_str_eq(w, "group")) {
            size_t g;
            for (g = 0; g < c->ngroups && !cs_str_eq(rest, cs_cal_group_name(by, g)); g++)
                ;
            if (g == c->ngroups) {
                rc = perr(ps, ps->line, "unknown group for by %s",
                          by_names[by]);
                goto fail;
            }
            if (pg[g].line) {
                rc = perr(ps, ps->line, "group %s appears twice",
                          cs_cal_group_name(by, g));
                goto fail;
            }
            cur = (int)g;
            pg[g] = (pgroup){ ps->line, -1, -1, 0 };
        } else if (cs_str_eq(w, "goal") && cur >= 0) {
            cs_str lb = word(&rest);
            uint64_t n, below;
            int i;
            for (i = 0; i < CS_GOAL_N && !cs_str_eq(lb, lb_text[i]); i++)
                ;
            if (i == CS_GOAL_N) {
                rc = perr(ps, ps->line, "unknown goal: the goals are 2, 1.5, "
                          "1, 0.5, 0, -0.5, -1, -1.5, -2 lb/week");
                goto fail;
            }
            if ((rc = get_u64(ps, &rest, &n)) < 0 ||
                (rc = get_u64(ps, &rest, &below)) < 0)
                goto fail;
            if (rest.len || n == 0 || below > n || i <= pg[cur].last_goal) {
                rc = perr(ps, ps->line, "inconsistent goal line: a zero count, "
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
                rc = perr(ps, ps->line, "the direction is lose, maintain or "
                          "gain");
                goto fail;
            }
            if ((rc = get_kcal(ps, &rest, &kcal)) < 0 ||
                (rc = get_u64(ps, &rest, &n)) < 0)
                goto fail;
            if (rest.len || n == 0 || d < pg[cur].last_dir ||
                (d == pg[cur].last_dir && kcal <= pg[cur].last_kcal)) {
                rc = perr(ps, ps->line, "inconsistent target line: a zero "
                          "count, or targets repeated or out of order");
                goto fail;
            }
            rc = cs_cal_hist_add(&c->group[cur].target[d], kcal, n);
            if (rc == CS_ENOMEM) {
                rc = cs_error_set(err, CS_ENOMEM, "out of memory");
                goto fail;
            }
            if (rc < 0) {
                rc = perr(ps, ps->line, "a count does not fit in 64 bits");
                goto fail;
            }
            pg[cur].last_dir = d;
            pg[cur].last_kcal = kcal;
        } else {
            rc = perr(ps, ps->line, "unexpected line \"%.*s\"",
                      (int)(w.len > 40 ? 40 : w.len), w.ptr);
            goto fail;
        }
    }
    if ((rc = check_totals(ps, c, pg, pline)) < 0)
        goto fail;
    /* Canonical: the outcome is written exactly when tagged sessions
     * are counted (a state without it is one written before it was). */
    if (oline && !cs_cal_counts_sessions(c)) {
        rc = perr(ps, oline, "an outcome line in a state that counts no "
                  "tagged session");
        goto fail;
    }
    cs_buf_dispose(&expect);
    return CS_OK;
fail:
    cs_buf_dispose(&expect);
    cs_cal_dispose(c);
    return rc;
}

/* ---- the "calories" accumulator (acc.h) ------------------------------ */

static int calories_wanted(const cs_acc_opts *o)
{
    return o->calories;
}

static int calories_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    if (!(a->cal = calloc(1, sizeof *a->cal)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (o && cs_cal_init(a->cal, o->calories_by, err) < 0) {
        free(a->cal);           /* not yet in the state: nobody else will */
        a->cal = NULL;
        return err->code;
    }
    /* The outcome tag used: analyze's rules, or calories --outcome. */
    if (o && o->rules)
        a->cal->outcome = o->rules->outcome;
    return CS_OK;
}

static void calories_dispose(cs_agg *a)
{
    if (a->cal)
        cs_cal_dispose(a->cal);
    free(a->cal);
    a->cal = NULL;
}

static int calories_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    return cs_cal_add_session(a->cal, r->goal_lb_week, r->outcome, err);
}

static size_t calories_add_rows(cs_agg *a, cs_acc_row *r, size_t n,
                                cs_error *err)
{
    size_t i = 0;

    while (i < n && cs_cal_add_session(a->cal, r[i].goal_lb_week,
                                       r[i].outcome, err) >= 0)
        i++;
    return i;
}

static int calories_mergeable(const cs_agg *into, const cs_agg *from,
                              cs_error *err)
{
    if (into->cal->by != from->cal->by)
        return cs_error_set(err, CS_EDATA, "the states are grouped by "
                            "different columns (%s vs %s)",
                            cs_cal_by_name(into->cal->by),
                            cs_cal_by_name(from->cal->by));
    return CS_OK;
}

static int calories_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p,
                          cs_error *err)
{
    (void)p;
    return cs_cal_merge(into->cal, from->cal, err);
}

static int calories_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    (void)p;
    (void)err;
    cs_cal_finish(a->cal);
    return CS_OK;
}

static void calories_write(const cs_agg *a, cs_buf *b)
{
    cal_write(a->cal, b);
}

static int calories_read(cs_agg *a, cs__ptext *t)
{
    return cal_read(a->cal, t);
}

static int calories_check(const cs_agg *a, cs__ptext *t)
{
    (void)a;
    (void)t;
    return CS_OK;       /* its totals are checked as its section is read */
}

const cs_acc_kind cs_acc_calories = {
    "calories", 1, NULL, calories_wanted, calories_create, calories_dispose,
    calories_add, calories_mergeable, calories_merge, calories_finish, calories_write,
    calories_read, calories_check, NULL, 0,
    calories_add_rows,
    NULL,
};
