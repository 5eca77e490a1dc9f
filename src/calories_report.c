/* The calorie report: a state of calories.c (cs_cal) rendered as pretty
 * text, Markdown, CSV, TSV or JSON. It reads the state and computes what
 * it shows (quantiles from the exact histograms, the 100 kcal bins, the
 * cramp link) but never changes it, so a report of a merged state is the
 * report of the single pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_histogram.h>
#include <crampstat/calories.h>
#include <crampstat/fmt.h>
#include "internal.h"

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
    if (cs__cal_combined(&all, c, -1, -1) < 0)
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
                if (cs__cal_combined(&h, c, g < c->ngroups ? (int)g : -1, k - 1) < 0) {
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

/* What the cramp link counts, as the state records it. Without tagged
 * sessions nothing is recorded (a survey's state), whatever the options
 * said, so that 'calories' and 'calories --partial | report' agree. */
static const char *outcome_text(const cs_cal *c, uint64_t sessions)
{
    if (!sessions)
        return "the outcome column of tag (no tagged session is counted)";
    switch (c->outcome) {
    case CS_OUTCOME_HAMSTRING:
        return "hamstring cramp (cramp = yes and cramp_muscle = hamstring), "
               "the outcome column of tag";
    case CS_OUTCOME_ANY:
        return "any cramp (cramp = yes), the outcome column of tag "
               "--outcome any";
    default:
        return "the outcome column of tag, not recorded in this state: "
               "hamstring cramp unless tag ran with --outcome any";
    }
}

/* The same in a few words, for the table's title. */
static const char *outcome_short(const cs_cal *c)
{
    return c->outcome == CS_OUTCOME_HAMSTRING ? "hamstring cramps"
         : c->outcome == CS_OUTCOME_ANY ? "any cramp" : "outcome not recorded";
}

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
    cs__json_notes(b, notes, cs_stats_note_text);
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
    cs_json_str(b, outcome_text(c, r->link_sessions));
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
    cs_buf_printf(b, "]}}");
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

    if (!w)
        return cs_buf_fail(b, CS_ENOMEM);
    cs_table_init(&t, C_NCOL, csv_header);
    for (size_t g = 0; g < r->ng; g++)
        for (int i = 0; i < CS_GOAL_N; i++) {
            row_clear(w);
            row_s(w, C_SECTION, "goal");
            row_s(w, C_GROUP, r->name[g]);
            row_s(w, C_GOAL, cs_goal_text(i));
            row_d(w, C_LB, cs_goal_lb_week(i));
            row_u(w, C_COUNT, r->goal[g][i]);
            row_d(w, C_SHARE, share(r->goal[g][i], r->n[g]));
            row_u(w, C_BELOW_N, r->below[g][i]);
            cs_table_add(&t, w->cell);
        }
    for (size_t g = 0; g < r->ng; g++)
        for (int k = 0; k < NK; k++) {
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
            cs_table_add(&t, w->cell);
        }
    for (size_t g = 0; g < r->ng; g++)
        for (size_t i = 0; i < r->nbins; i++) {
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
            cs_table_add(&t, w->cell);
        }
    for (size_t g = 0; g < r->ng; g++)
        for (int j = 0; j < r->nrank[g]; j++) {
            int i = r->rank[g][j];
            row_clear(w);
            row_s(w, C_SECTION, "below_safe_min_goal");
            row_s(w, C_GROUP, r->name[g]);
            row_s(w, C_GOAL, cs_goal_text(i));
            row_d(w, C_LB, cs_goal_lb_week(i));
            row_u(w, C_COUNT, r->below[g][i]);
            row_d(w, C_SHARE, share(r->below[g][i], r->sum[g][0].below));
            cs_table_add(&t, w->cell);
        }
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
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
        cs_table_add(&t, w->cell);
    }
    for (int k = 0; k < 2; k++)
        for (int m = 0; m < 3; m++) {
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
            cs_table_add(&t, w->cell);
        }
    cs_table_render(&t, r->o->format, r->o->safe_csv, b);
    cs_table_dispose(&t);
    free(w);
    return cs_buf_error(b);
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

/* Appends and tables, whose errors stick and end in the buffer's. */
static int render_text(const crep *r, cs_buf *b)
{
    const cs_report_opts *o = r->o;
    const cs_cal *c = r->c;
    const int md = o->format == CS_FMT_MD;
    const int lvl = (int)lround(o->level * 100);
    char cellv[16][64], title[160];
    const char *cells[16];
    cs_table t;

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
        cs_table_init(&t, 2 + r->ng, hdr);
        for (int i = 0; i <= CS_GOAL_N; i++) {
            snprintf(cellv[0], sizeof cellv[0], "%s",
                     i < CS_GOAL_N ? cs_goal_text(i) : "all goals");
            snprintf(cellv[1], sizeof cellv[1], "%s", i < CS_GOAL_N ? cs__cal_lb_text(i) : "");
            for (size_t g = 0; g < r->ng; g++) {
                uint64_t k = i < CS_GOAL_N ? r->goal[g][i] : r->n[g];
                char pct[32];
                cs_fmt_disp(pct, sizeof pct, 100 * share(k, r->n[g]), 1);
                /* An empty group has no share: "0 -", as elsewhere. */
                snprintf(cellv[2 + g], sizeof cellv[2 + g], "%llu %s%s",
                         (unsigned long long)k, pct, r->n[g] ? "%" : "");
            }
            cs_table_add(&t, cells);
        }
        heading(b, md, "Calorie goals (participants, % of the group)");
        cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        static const char *const thdr[] = {
            "group", "direction", "n", "mean", "sd", "min", "p5", "p25",
            "median", "p75", "p95", "max", "< safe min"
        };
        cs_table_init(&t, 13, thdr);
        for (size_t g = 0; g < r->ng; g++)
            for (int k = 0; k < NK; k++) {
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
                cs_table_add(&t, cells);
            }
        heading(b, md, "target_kcal by goal direction");
        cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        static const char *const bhdr[] = {
            "group", "goal", "below", "% of below", "% of the goal"
        };
        cs_table_init(&t, 5, bhdr);
        for (size_t g = 0; g < r->ng; g++)
            for (int j = 0; j < r->nrank[g]; j++) {
                int i = r->rank[g][j];
                snprintf(cellv[0], sizeof cellv[0], "%s", r->name[g]);
                snprintf(cellv[1], sizeof cellv[1], "%s", cs_goal_text(i));
                snprintf(cellv[2], sizeof cellv[2], "%llu",
                         (unsigned long long)r->below[g][i]);
                cs_fmt_disp(cellv[3], sizeof cellv[3],
                            100 * share(r->below[g][i], r->sum[g][0].below), 1);
                cs_fmt_disp(cellv[4], sizeof cellv[4],
                            100 * share(r->below[g][i], r->goal[g][i]), 1);
                cs_table_add(&t, cells);
            }
        heading(b, md, "Goals leading below the safe minimum, most often first");
        if (!t.code && t.nrows == 0)
            cs_buf_printf(b, "nobody is below the safe minimum\n");
        else
            cs_table_render(&t, o->format, 0, b);
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
    if (cs_buf_error(b) || r->link_sessions == 0)
        return cs_buf_error(b);

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
        cs_table_init(&t, 5, lhdr);
        for (int d = 0; d < CS_CAL_DIR_N; d++) {
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
            cs_table_add(&t, cells);
        }
        snprintf(title, sizeof title, "Cramp risk by goal direction (%s; "
                 "%llu tagged sessions, %llu with the outcome unknown left "
                 "out; %s interval)", outcome_short(c),
                 (unsigned long long)r->link_sessions,
                 (unsigned long long)r->link_unknown,
                 o->ci == CS_CI_EXACT ? "Clopper-Pearson" : "Wilson");
        heading(b, md, title);
        cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);

        snprintf(h_rr, sizeof h_rr, "risk ratio (%d%% CI)", lvl);
        snprintf(h_rd, sizeof h_rd, "risk diff. pp (%d%% CI)", lvl);
        const char *chdr[] = { "comparison", h_rr, h_rd, "Fisher p", "notes" };
        cs_table_init(&t, 5, chdr);
        cells[4] = notes;
        for (int k = 0; k < 2; k++) {
            snprintf(cellv[0], sizeof cellv[0], "%s vs maintain", k ? "gain" : "lose");
            cs_fmt_ci(cellv[1], sizeof cellv[1], r->link.rr[k].est,
                      r->link.rr[k].lo, r->link.rr[k].hi, 2);
            cs_fmt_ci(cellv[2], sizeof cellv[2], 100 * r->link.rd[k].est,
                      100 * r->link.rd[k].lo, 100 * r->link.rd[k].hi, 2);
            cs_fmt_p(cellv[3], sizeof cellv[3], r->link.fisher_p[k]);
            cs_stats_notes_format(notes, sizeof notes, r->link.notes[k]);
            cs_table_add(&t, cells);
        }
        cells[4] = cellv[4];
        heading(b, md, "Goal direction against maintain (Katz RR, Wald RD, "
                "Fisher's exact p)");
        cs_table_render(&t, o->format, 0, b);
        cs_table_dispose(&t);
    }
    return cs_buf_error(b);
}

/* The report; member: the JSON object alone, without the newline that
 * ends the document. */
static int render(const cs_cal *c, const cs_report_opts *o, cs_buf *out,
                  cs_error *err, int member)
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
        case CS_FMT_JSON:
            if ((rc = render_json(r, out)) == CS_OK && !member)
                rc = cs_buf_putc(out, '\n') < 0 ? cs_buf_error(out) : CS_OK;
            break;
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

int cs_cal_render(const cs_cal *c, const cs_report_opts *o, cs_buf *out,
                  cs_error *err)
{
    return render(c, o, out, err, 0);
}

int cs_cal_json_value(const cs_cal *c, const cs_report_opts *o, cs_buf *out,
                      cs_error *err)
{
    cs_report_opts j;

    if (o)
        j = *o;
    else
        cs_report_opts_init(&j);
    j.format = CS_FMT_JSON;
    return render(c, &j, out, err, 1);
}
