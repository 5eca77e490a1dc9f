/* Calorie goals per participant (DATA.md sections 4 and 6): the nine goals
 * of the tracker, target_kcal with its distribution, the share below the
 * safe minimum, and the hamstring-cramp risk by goal direction. The state
 * behind calories, merge and report: every count is an integer and
 * target_kcal is a whole number of kcal kept in an exact histogram with 1
 * kcal bins, so merging is exact, associative and commutative, and a
 * merged report equals the single-pass one to the byte.
 *
 * Memory: per group and goal direction, one uint64_t per kcal between the
 * smallest and the largest target seen (at most CS_CAL_KCAL_MAX -
 * CS_CAL_KCAL_MIN + 1 entries, 200 KB); never per participant or session.
 *
 * Typical use (analyze does the same in-process):
 *
 *     cs_cal c;
 *     cs_cal_init(&c, CS_CAL_BY_SEX, &err);
 *     for (size_t i = 0; i < cs_survey_count(sv); i++)
 *         cs_cal_add_participant(&c, cs_survey_latest(sv, i), &err);
 *     cs_cal_add_session(&c, tagged.goal_lb_week, tagged.outcome, &err);
 *     cs_cal_render(&c, &report_opts, &out, &err);
 *     cs_cal_dispose(&c);
 */
#ifndef CRAMPSTAT_CALORIES_H
#define CRAMPSTAT_CALORIES_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/derive.h>
#include <crampstat/error.h>
#include <crampstat/report.h>
#include <crampstat/schema.h>
#include <crampstat/stats.h>

#define CS_CAL_GROUPS_MAX 5     /* most groups any --by has */
#define CS_CAL_DIR_N 3          /* goal directions: lose, maintain, gain */
#define CS_CAL_BIN_KCAL 100     /* width of the reported histogram bins */
/* The whole-kcal range a target may have. Valid waves (DATA.md sections
 * 3 and 4) give about -895 (a 110-year-old woman of 50 lb and 3 ft,
 * sedentary, losing 2 lb/week) to 10175 (a 10-year-old boy of 700 lb and
 * 8 ft 11 in, very active, gaining 2 lb/week); the margin leaves room for
 * a looser contract without a new state format. */
#define CS_CAL_KCAL_MIN (-5000L)
#define CS_CAL_KCAL_MAX 20000L

/* What groups participants (--by). */
enum cs_cal_by {
    CS_CAL_BY_SEX = 0, CS_CAL_BY_AGE_BAND, CS_CAL_BY_ACTIVITY, CS_CAL_BY_N
};

/* "sex", "age_band", "activity_level"; NULL out of range. */
const char *cs_cal_by_name(int by);
/* The enum of a name above, or -1. */
int cs_cal_by_parse(const char *name);
/* Groups of a grouping (2 for sex, 5 for the others); 0 out of range. */
size_t cs_cal_ngroups(int by);
/* "F"/"M", cs_age_band_name, cs_activity_name; NULL out of range. */
const char *cs_cal_group_name(int by, size_t g);
/* The group of a wave, or -1 when the wave's value is out of range. */
int cs_cal_group_of(int by, const cs_wave *w);

/* target_kcal of a wave (DATA.md section 4, through derive.h). Returns
 * CS_OK, or CS_EDATA when the wave has no valid sex, activity level or
 * goal, or its target falls outside CS_CAL_KCAL_MIN ... CS_CAL_KCAL_MAX
 * (no cs_error: the caller knows which participant it is). */
int cs_cal_target(long *out, const cs_wave *w);

/* ---- exact histogram of whole kcal ----------------------------------- */

/* count[i] participants have target lo + i; total = sum of count. */
typedef struct cs_cal_hist {
    long lo;
    size_t n;
    uint64_t total;
    uint64_t *count;
} cs_cal_hist;

void cs_cal_hist_init(cs_cal_hist *h);
void cs_cal_hist_dispose(cs_cal_hist *h);
/* Add count participants with target kcal. CS_ENOMEM; CS_EDATA when kcal
 * is outside the range or a count would overflow 64 bits. err is not
 * touched (the caller adds the position). */
int cs_cal_hist_add(cs_cal_hist *h, long kcal, uint64_t count);
/* into += from; the same codes. */
int cs_cal_hist_merge(cs_cal_hist *into, const cs_cal_hist *from);
/* The f-quantile (0 <= f <= 1) exactly as gsl_stats_quantile_from_sorted_data
 * computes it on the sorted expanded data x[0..n-1]: with i = f (n - 1),
 * lhs = floor(i) and delta = i - lhs, (1 - delta) x[lhs] + delta
 * x[lhs + 1] (x[n - 1] when lhs = n - 1); the same floating-point
 * operations, so the same bits. NaN when the histogram is empty (GSL
 * returns 0 there). */
double cs_cal_hist_quantile(const cs_cal_hist *h, double f);

/* Summary of a target distribution. Everything is NaN when n == 0; sd is
 * the sample SD (n - 1 in the denominator, as gsl_stats_sd) and NaN when
 * n < 2. mean and sd are summed in long double over the histogram in kcal
 * order, so one histogram always gives the same bits whatever order the
 * participants came in. */
typedef struct cs_cal_summary {
    uint64_t n;
    uint64_t below;        /* below the safe minimum (cs_cal_summary_of) */
    double mean, sd, min, max;
    double p5, p25, p50, p75, p95;
} cs_cal_summary;

void cs_cal_hist_summary(cs_cal_summary *out, const cs_cal_hist *h);

/* ---- the accumulator ---------------------------------------------------- */

typedef struct cs_cal_group {
    uint64_t goal[CS_GOAL_N];      /* participants per goal (tracker order) */
    uint64_t below[CS_GOAL_N];     /* ... of them below the safe minimum */
    cs_cal_hist target[CS_CAL_DIR_N];  /* target_kcal per goal direction */
} cs_cal_group;

/* Sessions of one goal direction for the cramp link. */
typedef struct cs_cal_link {
    uint64_t sessions, cases;      /* outcome known */
    uint64_t unknown;              /* outcome unknown: counted, left out */
} cs_cal_link;

typedef struct cs_cal {
    int by;                        /* enum cs_cal_by */
    /* Which cramps the link counts (enum cs_outcome: how tag made the
     * outcome column, which the tagged file does not say), or
     * CS_CAL_OUTCOME_UNKNOWN: a state that counts no tagged session, or
     * one written before the outcome was recorded. */
    int outcome;
    size_t ngroups;
    uint64_t participants;
    cs_cal_group group[CS_CAL_GROUPS_MAX];
    cs_cal_link link[CS_CAL_DIR_N];  /* by cs_goal_direction */
    /* The last goal a session was counted with (its bits) and its
     * direction less 1: sessions come in runs of one participant's goal.
     * All-zero, as memset leaves it, is the goal 0 and its direction. */
    uint64_t last_goal_bits;
    int last_dir_less_1;
} cs_cal;

#define CS_CAL_OUTCOME_UNKNOWN (-1)

/* by: enum cs_cal_by (CS_EUSAGE when out of range). The outcome starts
 * unknown; set it before counting tagged sessions. */
int cs_cal_init(cs_cal *c, int by, cs_error *err);
void cs_cal_dispose(cs_cal *c);

/* Count one participant from its latest survey wave (cs_survey_latest):
 * goal, target_kcal and whether it is below the safe minimum, in the
 * wave's group. CS_EDATA for a wave that breaks the contract (see
 * cs_cal_target), CS_ENOMEM. */
int cs_cal_add_participant(cs_cal *c, const cs_wave *latest, cs_error *err);
/* Whether c counts any tagged session (outcome unknown included): its
 * outcome then matters. */
int cs_cal_counts_sessions(const cs_cal *c);
/* Count one tagged session for the cramp link: its goal in lb/week and
 * its outcome (1 case, 0 not, -1 unknown: counted and left out).
 * CS_EDATA for a goal that is not one of the nine. */
int cs_cal_add_session(cs_cal *c, double goal_lb_week, int outcome,
                       cs_error *err);
/* into += from. CS_EDATA when the groupings differ, when both count
 * tagged sessions of different outcomes (or one does not record its
 * outcome), or when a count would overflow 64 bits; CS_ENOMEM. */
int cs_cal_merge(cs_cal *into, const cs_cal *from, cs_error *err);
/* Nothing in the state depends on the order of the input, so this only
 * exists for symmetry with cs_agg_finish; call it before rendering. */
void cs_cal_finish(cs_cal *c);

/* Summary of a group (0 ... ngroups - 1, or -1 for everybody) and a goal
 * direction (0 lose, 1 maintain, 2 gain, or -1 for all), with the count
 * below the safe minimum. CS_ENOMEM only. */
int cs_cal_summary_of(cs_cal_summary *out, const cs_cal *c, int group,
                      int dir);

/* The cramp link: risk per goal direction and two comparisons against
 * maintain (lose vs maintain, gain vs maintain) through stats.h, as
 * aggregate computes them. */
typedef struct cs_cal_link_stats {
    cs_ci risk[CS_CAL_DIR_N];      /* Wilson or Clopper-Pearson (o->ci) */
    uint32_t risk_notes[CS_CAL_DIR_N];
    cs_2x2 t[2];                   /* a, b: lose (gain); c, d: maintain */
    cs_ci rr[2], rd[2];            /* Katz RR, Wald RD */
    double fisher_p[2];
    uint32_t notes[2];
} cs_cal_link_stats;

void cs_cal_link_compute(cs_cal_link_stats *out, const cs_cal *c,
                         const cs_report_opts *o);

/* Render the report of a state in o->format (pretty, csv, tsv, json or
 * md); o->level and o->ci apply to the cramp link. Returns CS_OK, or a
 * failure with its reason in err: out's own (out of memory, its cap), or
 * out of memory for the tables. */
int cs_cal_render(const cs_cal *c, const cs_report_opts *o, cs_buf *out,
                  cs_error *err);
/* The JSON report as a value: the object without the newline that ends
 * the document, to be a member of another (analyze's "calories"). */
int cs_cal_json_value(const cs_cal *c, const cs_report_opts *o, cs_buf *out,
                      cs_error *err);

#endif
