/* The aggregate report. Statistics are computed once from the state and
 * then rendered; every format shows the same numbers, and JSON carries
 * them at full precision with null where a measure is undefined and a
 * note saying why. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/calories.h>
#include <crampstat/epi.h>
#include <crampstat/report.h>
#include <crampstat/source.h>
#include "internal.h"

void cs_report_opts_init(cs_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = CS_FMT_PRETTY;
    o->level = 0.95;
    o->ci = CS_CI_WILSON;
    o->cluster = 1;
}


/* A name from the data (a column, a stratum) in a text or Markdown
 * line: in Markdown, escaped so that it cannot become markup. */
static void put_name(cs_buf *b, int md, const char *s)
{
    if (md)
        cs_md_append(b, s, strlen(s));
    else
        cs_buf_puts(b, s);
}
static void group_stats(cs_group_stats *g, const cs_agg_cell *c,
                        const cs_report_opts *o)
{
    g->sessions = c->sessions;
    g->cases = c->cases;
    g->hours = (double)c->mmin / 60000.0;
    g->notes = o->ci == CS_CI_EXACT
        ? cs_stats_clopper_pearson(&g->risk, c->cases, c->sessions, o->level)
        : cs_stats_wilson(&g->risk, c->cases, c->sessions, o->level);
    g->notes |= cs_stats_poisson_rate(&g->rate, c->cases, g->hours, 1000,
                                      o->level);
}

void cs_factor_stats_compute(cs_factor_stats *s, int factor,
                             const cs_agg_cell *un, const cs_agg_cell *ex,
                             uint64_t unknown, const cs_report_opts *o)
{
    memset(s, 0, sizeof *s);
    s->factor = factor;
    s->unknown = unknown;
    s->t.a = ex->cases;
    s->t.b = ex->sessions - ex->cases;
    s->t.c = un->cases;
    s->t.d = un->sessions - un->cases;
    group_stats(&s->exposed, ex, o);
    group_stats(&s->unexposed, un, o);
    s->notes |= cs_stats_rr(&s->rr, &s->t, o->level);
    s->notes |= cs_stats_or(&s->or, &s->t, o->level);
    s->notes |= cs_stats_rd(&s->rd, &s->t, o->level);
    s->notes |= cs_stats_af_exposed(&s->af, &s->t, o->level);
    s->notes |= cs_stats_paf(&s->paf, &s->t);
    s->notes |= cs_stats_chisq(&s->chi2, &s->t, o->yates);
    s->notes |= cs_stats_fisher(&s->fisher_p, &s->t);
    s->small_expected = cs_stats_small_expected(&s->t);
    if (s->small_expected)
        s->notes |= CS_NOTE_SMALL_EXPECTED;
}

/* The renderers' names for the public types. */
typedef cs_report_strat strat;
typedef cs_report rep;

/* The design row of the models: intercept, the six main factors, one
 * indicator per adjustment level after the first. */
static void model_row(double *row, unsigned bits, unsigned level, void *payload)
{
    size_t p = *(const size_t *)payload;

    memset(row, 0, p * sizeof *row);
    row[0] = 1;
    for (int f = 0; f < CS_F_MAIN_N; f++)
        row[1 + f] = (bits >> f) & 1;
    if (level > 0 && CS_F_MAIN_N + level < p)
        row[CS_F_MAIN_N + level] = 1;
}

/* Exposed over unexposed rate with the exact conditional interval (R's
 * poisson.test with two counts). With no unexposed case the ratio is
 * unbounded: JSON shows null with a note. */
static uint32_t rate_ratio_exact(cs_ci *out, uint64_t a, double t1, uint64_t c,
                                 double t0, double level)
{
    uint32_t notes = cs_stats_rate_ratio_exact(out, a, t1, c, t0, level);

    if (c == 0 && a > 0)
        notes |= CS_NOTE_RR_UNDEFINED_ZERO_CELL;
    return notes;
}

void cs_report_crude(cs_factor_stats out[CS_F_N], const cs_agg *a,
                     const cs_report_opts *o)
{
    for (int f = 0; f < CS_F_N; f++) {
        cs_agg_cell c[3] = { {0}, {0}, {0} };
        for (size_t i = 0; i < a->nstrata; i++)
            for (int e = 0; e < 3; e++) {
                c[e].sessions += a->strata[i].cell[f][e].sessions;
                c[e].cases += a->strata[i].cell[f][e].cases;
                c[e].mmin += a->strata[i].cell[f][e].mmin;
            }
        cs_factor_stats_compute(&out[f], f, &c[CS_AGG_UNEXPOSED],
                                &c[CS_AGG_EXPOSED], c[CS_AGG_UNKNOWN].sessions,
                                o);
    }
}

void cs_report_strata(cs_2x2 *out, const cs_agg *a, int f)
{
    for (size_t i = 0; i < a->nstrata; i++) {
        const cs_agg_cell *ex = &a->strata[i].cell[f][CS_AGG_EXPOSED];
        const cs_agg_cell *un = &a->strata[i].cell[f][CS_AGG_UNEXPOSED];
        out[i] = (cs_2x2){ ex->cases, ex->sessions - ex->cases,
                           un->cases, un->sessions - un->cases };
    }
}

/* ---- the report model: each accumulator's part (acc.h) ---------------- */

void cs__report_factors(cs_report *r)
{
    const cs_agg *a = r->a;

    cs_report_crude(r->f, a, r->o);
    for (int f = 0; f < CS_F_N; f++)
        r->rate_notes[f] = rate_ratio_exact(&r->rate_ratio[f], r->f[f].exposed.cases,
                                            r->f[f].exposed.hours,
                                            r->f[f].unexposed.cases,
                                            r->f[f].unexposed.hours, r->o->level);
    for (int f = 0; f < CS_F_N; f++)
        cs_epi_factor_measures(&r->ep[f], &r->f[f].t, r->f[f].exposed.hours,
                               r->f[f].unexposed.hours, r->o->level);
    r->has_strata = a->by[0] != '\0';
    if (!r->has_strata)
        return;
    for (int f = 0; f < CS_F_N; f++) {
        strat *s = &r->s[f];
        s->factor = f;
        s->t = calloc(a->nstrata ? a->nstrata : 1, sizeof *s->t);
        s->st = calloc(a->nstrata ? a->nstrata : 1, sizeof *s->st);
        if (!s->t || !s->st) {
            free(s->t);
            free(s->st);
            s->t = NULL;
            s->st = NULL;
            s->notes = CS_NOTE_NOMEM;
            cs_epi_stratified_measures(&s->ep, NULL, 0, r->o->level);
            continue;
        }
        cs_report_strata(s->t, a, f);
        s->notes = cs_stats_mh(&s->mh, s->t, a->nstrata, r->o->level);
        for (size_t i = 0; i < a->nstrata; i++)
            cs_epi_stratum_measures(&s->st[i], &s->t[i], r->o->level);
        cs_epi_stratified_measures(&s->ep, s->t, a->nstrata, r->o->level);
    }
}

void cs__report_dose(cs_report *r)
{
    if (r->a->dose.present)
        cs_report_dose_compute(r->dose, r->a, r->o);
}

void cs__report_period(cs_report *r)
{
    if (r->a->period.present &&
        cs_period_rows(&r->a->period, r->o->period, r->o->level, &r->period,
                       &r->nperiod) < 0)
        r->period_nomem = 1;
}

/* The design's width: intercept, main factors, one column per
 * adjustment level after the first. */
static size_t model_width(const cs_agg *a)
{
    return 1 + CS_F_MAIN_N + (a->nadj > 1 ? a->nadj - 1 : 0);
}

/* The two models on the covariate patterns, p columns wide: the logistic
 * fit (*fitted set when there was one; *notes its status or why none,
 * *sessions the sessions it covers) and the Poisson rate model (cases
 * per session, the exposure in thousands of hours as offset). */
static void fit_patterns(const cs_agg *a, size_t p, double level,
                         cs_logit_fit *fit, int *fitted, uint32_t *notes,
                         uint64_t *sessions, cs_poisson_fit *pois,
                         int *pois_fitted)
{
    size_t nadj = a->nadj, m = 0;
    double *x;
    uint64_t *n, *y;

    x = calloc(nadj * CS_AGG_PATTERNS * p + 1, sizeof *x);
    n = calloc(nadj * CS_AGG_PATTERNS + 1, sizeof *n);
    y = calloc(nadj * CS_AGG_PATTERNS + 1, sizeof *y);
    if (!x || !n || !y) {
        *notes = CS_NOTE_NOMEM;
        free(x); free(n); free(y);
        return;
    }
    for (size_t j = 0; j < nadj; j++)
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++) {
            if (!a->adj[j].n[k])
                continue;
            double *row = x + m * p;
            row[0] = 1;
            for (int f = 0; f < CS_F_MAIN_N; f++)
                row[1 + f] = (k >> f) & 1;
            if (j > 0)
                row[CS_F_MAIN_N + j] = 1;
            n[m] = a->adj[j].n[k];
            y[m] = a->adj[j].y[k];
            *sessions += n[m];
            m++;
        }
    if (m > 0) {
        cs_stats_logit(fit, x, n, y, m, p);
        *fitted = 1;
        *notes = fit->status;
    } else {
        *notes = CS_NOTE_EMPTY;
    }
    double *t = calloc(m + 1, sizeof *t);
    if (t && m > 0) {
        size_t i = 0;
        for (size_t j = 0; j < nadj; j++)
            for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
                if (a->adj[j].n[k])
                    t[i++] = (double)a->adj[j].m[k] / 6e7;
        *pois_fitted = cs_poisson_fit_patterns(pois, x, y, t, n, m, p,
                                               level) == 0;
    }
    free(t);
    free(x);
    free(n);
    free(y);
}

/* The robust factor measures: one walk over every participant. */
static void *cluster_factor_walk(void *arg)
{
    cs_report *r = arg;

    cs_clu_factor_stats_all(r->cf, r->a->clu, r->o->level);
    return NULL;
}

/* The robust factor measures and the models' robust intervals, beside
 * the reports: walks over every participant that read the
 * per-participant sums alone. The models are fitted here again, from
 * the same pattern tables to the same bits as "logistic"'s report fits
 * them, so that this thread waits for nothing. The factor measures' walk
 * and the models' are independent (each writes its own part of r), so
 * with threads the first runs on a thread of its own: after the last
 * row they are the longest part of the tail, and one after the other
 * they kept a core waiting. */
void cs__report_cluster_factors(cs_report *r)
{
    const cs_agg *a = r->a;
    size_t p = model_width(a);
    cs_logit_fit fit;
    cs_poisson_fit pois;
    int fitted = 0, pois_fitted = 0, apart;
    uint32_t notes = 0;
    uint64_t sessions = 0;
    pthread_t th;

    if (!a->clu || !r->o->cluster)
        return;
    apart = p <= CS_LOGIT_MAXP && cs_source_threads() > 1 &&
            pthread_create(&th, NULL, cluster_factor_walk, r) == 0;
    if (!apart)
        cluster_factor_walk(r);
    if (p <= CS_LOGIT_MAXP) {
        memset(&fit, 0, sizeof fit);
        memset(&pois, 0, sizeof pois);
        fit_patterns(a, p, r->o->level, &fit, &fitted, &notes, &sessions,
                     &pois, &pois_fitted);
        cs_clu_models_robust(fitted ? &r->logit_rb : NULL, &fit,
                             pois_fitted ? &r->pois_rb : NULL, &pois, a->clu,
                             model_row, &p, r->o->level);
    }
    if (apart)
        pthread_join(th, NULL);
}

/* Whether the robust intervals are part of the report (computed beside
 * it, in cs__report_cluster_factors). */
void cs__report_cluster(cs_report *r)
{
    r->robust = r->a->clu && r->o->cluster;
}

/* Logistic regression and the Poisson rate model on the covariate
 * patterns. */
void cs__report_logistic(cs_report *r)
{
    const cs_agg *a = r->a;
    size_t nadj = a->nadj;
    size_t p = model_width(a);

    r->p = p;
    if (p > CS_LOGIT_MAXP) {
        r->logit_notes = CS_NOTE_BAD_INPUT;
        return;
    }
    snprintf(r->term[0], sizeof r->term[0], "intercept");
    for (int f = 0; f < CS_F_MAIN_N; f++)
        snprintf(r->term[1 + f], sizeof r->term[0], "%s", cs_factor_name(f));
    for (size_t j = 1; j < nadj; j++)
        snprintf(r->term[CS_F_MAIN_N + j], sizeof r->term[0], "%s=%s",
                 a->adjust, a->adj[j].name);
    fit_patterns(a, p, r->o->level, &r->fit, &r->fitted, &r->logit_notes,
                 &r->logit_sessions, &r->pois, &r->pois_fitted);
    if (r->fitted)
        for (size_t j = 0; j < p; j++)
            cs_stats_logit_or(&r->term_or[j], &r->fit, j, r->o->level);
}

/* Whether accumulator i is part of the state. */
static int has(const rep *r, size_t i)
{
    return (r->a->have & (1u << i)) != 0;
}

typedef struct beside_job {
    rep *r;
    size_t i;
} beside_job;

/* One accumulator's part of the reports that reads only its own state
 * (report_beside: the walk over every participant of the dose-response
 * trends, and the one of the robust factor measures). */
static void *beside(void *arg)
{
    const beside_job *j = arg;

    cs_acc_registry[j->i]->report_beside(j->r);
    return NULL;
}

/* Each accumulator's numbers into the model: the reports in registry
 * order, and beside them, each on a thread of its own when threads are
 * allowed, the parts that read only their own state. After the last row
 * these walks are all that is left, so two of them and the reports keep
 * both cores busy: one thread for both had taken 0.09 s on the 5M set
 * while the reports took 0.05 s. The numbers are the same either way:
 * each part computes its own. */
static void compute(rep *r)
{
    pthread_t th[CS_ACC_MAX];
    beside_job job[CS_ACC_MAX];
    int apart[CS_ACC_MAX] = { 0 };
    size_t n = 0;

    for (size_t i = 0; i < cs_acc_count; i++)
        if (has(r, i) && cs_acc_registry[i]->report_beside) {
            job[n] = (beside_job){ r, i };
            apart[n] = cs_source_threads() > 1 &&
                       pthread_create(&th[n], NULL, beside, &job[n]) == 0;
            n++;
        }
    for (size_t i = 0; i < cs_acc_count; i++)
        if (has(r, i) && cs_acc_registry[i]->report)
            cs_acc_registry[i]->report(r);
    for (size_t k = 0; k < n; k++) {
        if (apart[k])
            pthread_join(th[k], NULL);
        else
            beside(&job[k]);
    }
}

cs_report *cs_report_compute(const cs_agg *a, const cs_report_opts *o)
{
    rep *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    /* Before any thread reads the factor tables. */
    cs__factors_settle(a);
    r->a = a;
    r->o = o;
    compute(r);
    return r;
}

void cs_report_free(cs_report *r)
{
    if (!r)
        return;
    for (int f = 0; f < CS_F_N; f++) {
        free(r->s[f].t);
        free(r->s[f].st);
    }
    free(r->period);
    free(r);
}

static const char *outcome_text(int outcome)
{
    return outcome == CS_OUTCOME_ANY
        ? "any cramp (cramp = yes)"
        : "hamstring cramp (cramp = yes and cramp_muscle = hamstring)";
}

/* ---- JSON -------------------------------------------------------------- */

static int j_ci(cs_buf *b, const char *key, const cs_ci *c)
{
    cs_buf_printf(b, "\"%s\": {\"estimate\": ", key);
    cs_json_num(b, c->est);
    cs_buf_append(b, ", \"lower\": ", 11);
    cs_json_num(b, c->lo);
    cs_buf_append(b, ", \"upper\": ", 11);
    cs_json_num(b, c->hi);
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

int cs__json_notes(cs_buf *b, uint32_t notes, const char *(*text)(uint32_t))
{
    int first = 1;

    cs_buf_append(b, "\"notes\": [", 10);
    for (unsigned bit = 0; bit < 32; bit++)
        if (notes & (UINT32_C(1) << bit)) {
            const char *t = text(UINT32_C(1) << bit);
            if (!t)
                continue;
            if (!first)
                cs_buf_append(b, ", ", 2);
            cs_json_str(b, t);
            first = 0;
        }
    cs_buf_putc(b, ']');
    return cs_buf_error(b);
}

static int j_notes(cs_buf *b, uint32_t notes)
{
    return cs__json_notes(b, notes, cs_stats_note_text);
}

static int j_group(cs_buf *b, const char *key, const cs_group_stats *g)
{
    cs_buf_printf(b, "\"%s\": {\"sessions\": %llu, \"cases\": %llu, "
                  "\"hours\": ", key, (unsigned long long)g->sessions,
                  (unsigned long long)g->cases);
    cs_json_num(b, g->hours);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "risk", &g->risk);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "rate_per_1000h", &g->rate);
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

static int j_test(cs_buf *b, const char *key, const cs_test *t, int df)
{
    cs_buf_printf(b, "\"%s\": {\"statistic\": ", key);
    cs_json_num(b, t->stat);
    if (df) {
        cs_buf_append(b, ", \"df\": ", 8);
        cs_json_num(b, t->df);
    }
    cs_buf_append(b, ", \"p\": ", 7);
    cs_json_num(b, t->p);
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

int cs_report_json_meta(cs_buf *b, const cs_agg *a, const cs_report_opts *o);

static int j_clu_notes(cs_buf *b, uint32_t notes)
{
    char t[512];
    cs_buf_append(b, "\"notes\": [", 10);

    for (unsigned bit = 0; bit < 32; bit++)
        if (notes & (UINT32_C(1) << bit)) {
            cs_clu_notes_format(t, sizeof t, UINT32_C(1) << bit);
            if (b->len && b->ptr[b->len - 1] != '[')
                cs_buf_append(b, ", ", 2);
            cs_json_str(b, t);
        }
    cs_buf_putc(b, ']');
    return cs_buf_error(b);
}

/* A factor's participant counts and robust measures (null without). */
static int j_robust_factor(cs_buf *b, const rep *r, int f)
{
    const cs_clu_factor *c = &r->cf[f];

    if (!r->robust)
        return cs_buf_puts(b, ", \"participants\": null, \"cluster_robust\": null");
    cs_buf_printf(b, ",\n   \"participants\": {\"exposed\": %llu, "
                  "\"unexposed\": %llu},\n   \"cluster_robust\": {",
                  (unsigned long long)c->participants_exposed,
                  (unsigned long long)c->participants_unexposed);
    j_ci(b, "risk_ratio", &c->risk_ratio);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "odds_ratio", &c->odds_ratio);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "risk_difference", &c->risk_difference);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "rate_ratio", &c->rate_ratio);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "exposed_risk", &c->exposed_risk);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "unexposed_risk", &c->unexposed_risk);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "af_exposed", &c->af_exposed);
    cs_buf_append(b, ", ", 2);
    j_ci(b, "paf", &c->paf);
    cs_buf_append(b, ", \"design_effect\": ", 19);
    cs_json_num(b, c->design_effect);
    cs_buf_append(b, ", ", 2);
    j_clu_notes(b, c->notes);
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

/* A model's robust terms: {participants, terms[{term, lower, upper, p}],
 * notes}, or null when the state does not cluster. */
static int j_robust_terms(cs_buf *b, const rep *r, const cs_clu_terms *t,
                          int unfitted)
{
    if (!r->robust)
        return cs_buf_append(b, "null", 4);
    cs_buf_printf(b, "{\"participants\": %llu, \"terms\": [",
                  (unsigned long long)t->participants);
    for (size_t j = 0; !unfitted && !(t->notes & (CS_CLU_NOTE_NOT_FITTED |
                                                   CS_CLU_NOTE_NOMEM)) &&
                       j < t->p; j++) {
        cs_buf_append(b, j ? ",\n  {\"term\": " : "\n  {\"term\": ", j ? 13 : 12);
        cs_json_str(b, r->term[j]);
        cs_buf_append(b, ", \"se\": ", 8);
        cs_json_num(b, t->se[j]);
        cs_buf_append(b, ", \"lower\": ", 11);
        cs_json_num(b, t->lower[j]);
        cs_buf_append(b, ", \"upper\": ", 11);
        cs_json_num(b, t->upper[j]);
        cs_buf_append(b, ", \"p\": ", 7);
        cs_json_num(b, t->p_value[j]);
        cs_buf_putc(b, '}');
    }
    cs_buf_append(b, "], ", 3);
    j_clu_notes(b, unfitted ? CS_CLU_NOTE_NOT_FITTED : t->notes);
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

int cs_report_json_meta(cs_buf *b, const cs_agg *a, const cs_report_opts *o)
{
    cs_buf_printf(b, "{\"tool\": \"crampstat\", \"format_version\": 1, "
                  "\"inputs\": [");
    for (size_t i = 0; i < a->ninputs; i++) {
        if (i)
            cs_buf_append(b, ", ", 2);
        cs_json_str(b, a->inputs[i]);
    }
    cs_buf_printf(b, "], \"sessions\": %llu, \"sessions_used\": "
                  "%llu, \"outcome_unknown\": %llu, \"outcome\": ",
                  (unsigned long long)a->rows,
                  (unsigned long long)(a->rows - a->outcome_unknown),
                  (unsigned long long)a->outcome_unknown);
    cs_json_str(b, outcome_text(a->outcome));
    cs_buf_append(b, ", \"rules\": ", 11);
    cs_json_str(b, a->rules);
    cs_buf_append(b, ", \"level\": ", 11);
    cs_json_num(b, o->level);
    cs_buf_printf(b, ", \"risk_interval\": \"%s\", "
                  "\"rate_interval\": \"exact Poisson\", "
                  "\"chi2\": \"%s\", \"by\": ",
                  o->ci == CS_CI_EXACT ? "Clopper-Pearson" : "Wilson",
                  o->yates ? "Pearson with Yates correction"
                           : "Pearson, no continuity correction");
    (a->by[0] ? cs_json_str(b, a->by) : cs_buf_append(b, "null", 4));
    cs_buf_append(b, ", \"adjust\": ", 12);
    (a->adjust[0] ? cs_json_str(b, a->adjust)
                  : cs_buf_append(b, "null", 4));
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

static int render_json(const rep *r, cs_buf *b)
{
    const cs_agg *a = r->a;
    cs_buf_append(b, "{\"meta\": ", 9);

    cs_report_json_meta(b, a, r->o);
    cs_buf_append(b, ",\n\"factors\": [", 14);
    for (int f = 0; f < CS_F_N; f++) {
        const cs_factor_stats *s = &r->f[f];
        double lg10;
        cs_buf_printf(b, "%s\n  {\"factor\": \"%s\", \"unknown\": %llu, ",
                      f ? "," : "", cs_factor_name(f),
                      (unsigned long long)s->unknown);
        j_group(b, "exposed", &s->exposed);
        cs_buf_append(b, ",\n   ", 5);
        j_group(b, "unexposed", &s->unexposed);
        cs_buf_append(b, ",\n   ", 5);
        j_ci(b, "risk_ratio", &s->rr);
        cs_buf_append(b, ", ", 2);
        j_ci(b, "odds_ratio", &s->or);
        cs_buf_append(b, ", ", 2);
        j_ci(b, "risk_difference", &s->rd);
        cs_buf_append(b, ",\n   ", 5);
        j_test(b, "chi2", &s->chi2, 0);
        cs_buf_append(b, ", \"fisher_p\": ", 14);
        cs_json_num(b, s->fisher_p);
        /* The exact size of a p below CS_STATS_P_FLOOR, where fisher_p
         * is that bound (and notes say so). */
        cs_stats_fisher_log10(&lg10, &s->t);
        cs_buf_append(b, ", \"fisher_p_log10\": ", 20);
        cs_json_num(b, lg10);
        cs_buf_printf(b, ", \"read_fisher\": %s, \"af_exposed\": ",
                      s->small_expected ? "true" : "false");
        cs_json_num(b, s->af.est);
        cs_buf_append(b, ", \"paf\": ", 9);
        cs_json_num(b, s->paf);
        cs_buf_append(b, ",\n   ", 5);
        j_ci(b, "rate_ratio", &r->rate_ratio[f]);
        j_robust_factor(b, r, f);
        cs_buf_append(b, ",\n   ", 5);
        cs_epi_json_factor(b, &r->ep[f]);
        j_notes(b, s->notes | s->exposed.notes | s->unexposed.notes |
                   r->rate_notes[f]);
        cs_buf_putc(b, '}');
    }
    cs_buf_append(b, "],\n\"stratified\": [", 18);
    for (int f = 0; r->has_strata && f < CS_F_N; f++) {
        const strat *s = &r->s[f];
        cs_buf_printf(b, "%s\n  {\"factor\": \"%s\", \"by\": ", f ? "," : "",
                      cs_factor_name(f));
        cs_json_str(b, a->by);
        cs_buf_append(b, ", \"strata\": [", 13);
        for (size_t i = 0; i < a->nstrata && s->t; i++) {
            cs_buf_append(b, i ? ", {\"level\": " : "{\"level\": ", i ? 12 : 10);
            cs_json_str(b, a->strata[i].name);
            cs_buf_printf(b, ", \"a\": %llu, \"b\": %llu, \"c\": %llu, "
                          "\"d\": %llu, \"unknown\": %llu",
                          (unsigned long long)s->t[i].a,
                          (unsigned long long)s->t[i].b,
                          (unsigned long long)s->t[i].c,
                          (unsigned long long)s->t[i].d,
                          (unsigned long long)a->strata[i].cell[f][CS_AGG_UNKNOWN].sessions);
            cs_epi_json_stratum(b, &s->st[i]);
            cs_buf_putc(b, '}');
        }
        cs_buf_append(b, "],\n   ", 6);
        j_ci(b, "mh_risk_ratio", &s->mh.risk_ratio);
        cs_buf_append(b, ", ", 2);
        j_ci(b, "mh_odds_ratio", &s->mh.odds_ratio);
        cs_buf_append(b, ",\n   ", 5);
        j_test(b, "mh_chi2", &s->mh.chisq, 0);
        cs_buf_append(b, ", ", 2);
        j_test(b, "breslow_day", &s->mh.breslow_day, 1);
        cs_buf_printf(b, ", \"strata_used\": %zu, \"strata_breslow_day\": %zu, ",
                      s->mh.strata_used, s->mh.strata_bd);
        cs_epi_json_stratified(b, &s->ep);
        j_notes(b, s->notes);
        cs_buf_putc(b, '}');
    }
    cs_buf_printf(b, "],\n\"logistic\": {\"converged\": %s, "
                  "\"sessions\": %llu, \"iterations\": %d, "
                  "\"terms\": [",
                  r->fitted && r->fit.converged ? "true" : "false",
                  (unsigned long long)r->logit_sessions,
                  r->fitted ? r->fit.iterations : 0);
    for (size_t j = 0; r->fitted && j < r->p; j++) {
        cs_buf_append(b, j ? ",\n  {\"term\": " : "\n  {\"term\": ", j ? 13 : 12);
        cs_json_str(b, r->term[j]);
        cs_buf_append(b, ", \"coefficient\": ", 17);
        cs_json_num(b, r->fit.beta[j]);
        cs_buf_append(b, ", \"se\": ", 8);
        cs_json_num(b, r->fit.se[j]);
        cs_buf_append(b, ", \"odds_ratio\": ", 16);
        cs_json_num(b, r->term_or[j].est);
        cs_buf_append(b, ", \"lower\": ", 11);
        cs_json_num(b, r->term_or[j].lo);
        cs_buf_append(b, ", \"upper\": ", 11);
        cs_json_num(b, r->term_or[j].hi);
        cs_buf_append(b, ", \"p\": ", 7);
        cs_json_num(b, r->fit.p_value[j]);
        cs_buf_putc(b, '}');
    }
    cs_buf_append(b, "], ", 3);
    j_notes(b, r->logit_notes);
    cs_buf_append(b, ",\n \"cluster_robust\": ", 21);
    j_robust_terms(b, r, &r->logit_rb, 0);
    cs_buf_printf(b, "},\n\"poisson\": {\"converged\": %s, "
                  "\"sessions\": %llu, \"iterations\": %d, "
                  "\"terms\": [",
                  r->pois_fitted && r->pois.converged ? "true" : "false",
                  (unsigned long long)(r->pois_fitted ? r->pois.sessions : 0),
                  r->pois_fitted ? r->pois.iterations : 0);
    for (size_t j = 0; r->pois_fitted && j < r->p; j++) {
        cs_buf_append(b, j ? ",\n  {\"term\": " : "\n  {\"term\": ", j ? 13 : 12);
        cs_json_str(b, r->term[j]);
        cs_buf_append(b, ", \"coefficient\": ", 17);
        cs_json_num(b, r->pois.beta[j]);
        cs_buf_append(b, ", \"se\": ", 8);
        cs_json_num(b, r->pois.se[j]);
        cs_buf_append(b, ", \"rate_ratio\": ", 16);
        cs_json_num(b, exp(r->pois.beta[j]));
        cs_buf_append(b, ", \"lower\": ", 11);
        cs_json_num(b, r->pois.lower[j]);
        cs_buf_append(b, ", \"upper\": ", 11);
        cs_json_num(b, r->pois.upper[j]);
        cs_buf_append(b, ", \"p\": ", 7);
        cs_json_num(b, r->pois.p_value[j]);
        cs_buf_putc(b, '}');
    }
    cs_buf_append(b, "], ", 3);
    cs__json_notes(b, r->pois_fitted ? r->pois.status : CS_NOTE_EMPTY,
               cs_stats_poisson_note_text);
    cs_buf_append(b, ",\n \"cluster_robust\": ", 21);
    j_robust_terms(b, r, &r->pois_rb, !r->pois_fitted);
    cs_buf_append(b, "},\n\"clusters\": ", 15);
    if (r->robust)
        cs_buf_printf(b, "{\"by\": \"participant_id\", "
                      "\"participants\": %zu}",
                      cs_clu_participants(a->clu));
    else
        cs_buf_append(b, "null", 4);
    cs_report_dose_json(b, r);   /* dose, over time */
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

/* ---- tables (pretty, md, csv, tsv) --------------------------------------- */

static void pct_ci(char *d, size_t cap, const cs_ci *c)
{
    cs_fmt_ci(d, cap, 100 * c->est, 100 * c->lo, 100 * c->hi, 2);
}

static int header_lines(const rep *r, cs_buf *b)
{
    const cs_agg *a = r->a;
    cs_buf_printf(b, "crampstat report: cramp incidence by cause factor\n"
                  "inputs:     ");
    for (size_t i = 0; i < a->ninputs; i++)
        cs_buf_printf(b, "%s%s", i ? ", " : "", a->inputs[i]);
    cs_buf_printf(b, "\nsessions:   %llu read, %llu used, %llu left out "
                  "(outcome unknown)\noutcome:    %s\n"
                  "level:      %g%% (risk: %s interval; rate per 1000 h: "
                  "exact Poisson)\nrules:      %s\n",
                  (unsigned long long)a->rows,
                  (unsigned long long)(a->rows - a->outcome_unknown),
                  (unsigned long long)a->outcome_unknown,
                  outcome_text(a->outcome), 100 * r->o->level,
                  r->robust ? "robust (intercept-only logit)"
                  : r->o->ci == CS_CI_EXACT ? "Clopper-Pearson" : "Wilson",
                  a->rules);
    if (r->robust)
        cs_buf_printf(b, "intervals:  robust to clustering of sessions "
                      "within participants (%zu participants; "
                      "sandwich by participant_id; --cluster none "
                      "for session-level intervals)\n",
                      cs_clu_participants(a->clu));
    return cs_buf_error(b);
}

static int epi_list(cs_buf *b, const cs_epi_refs *e, int md)
{
    for (int k = 0; k < e->n; k++)
        cs_buf_printf(b, "%se%d. %s\n", md ? "\n" : "", k + 1,
                      cs_epi_note_text(e->bit[k]));
    return cs_buf_error(b);
}

/* epi.2by2's further measures of each factor (pretty and md). Their
 * intervals treat sessions as independent, and the title says so. */
void cs_report_attr_cells(const cs_report *r, int f, char cell[6][CS_REPORT_CELL])
{
    const cs_epi_factor *m = &r->ep[f];

    cs_fmt_ci(cell[0], CS_REPORT_CELL, 100 * m->par.est, 100 * m->par.lo,
              100 * m->par.hi, 2);
    cs_epi_nnt_format(cell[1], CS_REPORT_CELL, &m->nnt, 1);
    cs_fmt_ci(cell[2], CS_REPORT_CELL, m->exact_or.est, m->exact_or.lo,
              m->exact_or.hi, 2);
    cs_fmt_ci(cell[3], CS_REPORT_CELL, m->rate_difference.est,
              m->rate_difference.lo, m->rate_difference.hi, 2);
    cs_fmt_ci(cell[4], CS_REPORT_CELL, 100 * m->af_rate.est,
              100 * m->af_rate.lo, 100 * m->af_rate.hi, 1);
    cs_fmt_ci(cell[5], CS_REPORT_CELL, 100 * m->paf_rate.est,
              100 * m->paf_rate.lo, 100 * m->paf_rate.hi, 1);
}

void cs_report_stratum_cells(const cs_epi_stratum *m, char cell[3][CS_REPORT_CELL])
{
    cs_fmt_ci(cell[0], CS_REPORT_CELL, m->risk_ratio.est, m->risk_ratio.lo,
              m->risk_ratio.hi, 2);
    cs_fmt_ci(cell[1], CS_REPORT_CELL, m->odds_ratio.est, m->odds_ratio.lo,
              m->odds_ratio.hi, 2);
    cs_fmt_ci(cell[2], CS_REPORT_CELL, 100 * m->risk_difference.est,
              100 * m->risk_difference.lo, 100 * m->risk_difference.hi, 2);
}

void cs_report_pooled_cells(const cs_epi_stratified *m, char *rd, char *crude_rr,
                            char *crude_or, char *woolf_rr, char *woolf_or)
{
    cs_fmt_ci(rd, CS_REPORT_CELL, 100 * m->mh_rd.est, 100 * m->mh_rd.lo,
              100 * m->mh_rd.hi, 2);
    cs_fmt_disp(crude_rr, CS_REPORT_CELL, m->crude_adj.risk_ratio, 3);
    cs_fmt_disp(crude_or, CS_REPORT_CELL, m->crude_adj.odds_ratio, 3);
    cs_fmt_p(woolf_rr, CS_REPORT_CELL, m->woolf_rr.p);
    cs_fmt_p(woolf_or, CS_REPORT_CELL, m->woolf_or.p);
}

const cs_ci *cs_report_af(const cs_report *r, int f)
{
    return r->robust ? &r->cf[f].af_exposed : &r->f[f].af;
}

const cs_ci *cs_report_paf(const cs_report *r, int f)
{
    return r->robust ? &r->cf[f].paf : &r->ep[f].paf;
}

int cs_report_any_star(const cs_report *r)
{
    for (int f = 0; f < CS_F_N; f++)
        if (r->f[f].small_expected)
            return 1;
    return 0;
}

static int attributable_table(const rep *r, cs_buf *b)
{
    int md = r->o->format == CS_FMT_MD;
    int lvl = (int)lround(r->o->level * 100);
    char h[6][48], buf[8][CS_REPORT_CELL];
    const char *cells[8];
    cs_epi_refs es;
    cs_table t;

    memset(&es, 0, sizeof es);
    for (int i = 0; i < 8; i++)
        cells[i] = buf[i];
    snprintf(h[0], sizeof h[0], "pop. attr. risk pp (%d%% CI)", lvl);
    snprintf(h[1], sizeof h[1], "NNT (%d%% CI)", lvl);
    snprintf(h[2], sizeof h[2], "exact OR (%d%% CI)", lvl);
    snprintf(h[3], sizeof h[3], "attr. rate per 1000 h (%d%% CI)", lvl);
    snprintf(h[4], sizeof h[4], "AF exp. rate %% (%d%% CI)", lvl);
    snprintf(h[5], sizeof h[5], "PAF rate %% (%d%% CI)", lvl);
    const char *hdr[] = { "factor", h[0], h[1], h[2], h[3], h[4], h[5], "notes" };
    cs_table_init(&t, 8, hdr);
    for (int f = 0; f < CS_F_N; f++) {
        snprintf(buf[0], sizeof buf[0], "%s", cs_factor_name(f));
        cs_report_attr_cells(r, f, buf + 1);
        cs_epi_refs_add(&es, r->ep[f].notes, buf[7], sizeof buf[7]);
        cs_table_add(&t, cells);
    }
    cs_buf_puts(b, md
        ? "\n## Attributable measures and exact odds ratio\n\nIntervals treat "
        "sessions as independent.\n\n"
        : "\nAttributable measures and exact odds ratio (intervals treat "
        "sessions as independent)\n");
    cs_table_render(&t, r->o->format, 0, b);
    cs_table_dispose(&t);
    epi_list(b, &es, md);
    cs_buf_printf(b, "%spop. attr. risk: risk of all sessions "
        "minus that of the unexposed; NNT: exposed sessions per extra cramp "
        "(NNTH) or per cramp avoided (NNTB), through infinity when the risk "
        "difference's interval contains 0; exact OR: conditional maximum "
        "likelihood with Fisher's exact interval; rates per 1000 h, AF and PAF "
        "on rates from the exact rate ratio and exact Poisson rates.\n",
        md ? "\n" : "");
    return cs_buf_error(b);
}

/* Each stratum's risk ratio, odds ratio and risk difference, after the
 * pooled table (pretty and md). */
static int strata_table(const rep *r, cs_buf *b)
{
    const cs_agg *a = r->a;
    int md = r->o->format == CS_FMT_MD;
    int lvl = (int)lround(r->o->level * 100);
    char h[3][48], buf[10][CS_REPORT_CELL];
    const char *cells[10];
    cs_epi_refs es;
    cs_table t;

    memset(&es, 0, sizeof es);
    for (int i = 0; i < 10; i++)
        cells[i] = buf[i];
    snprintf(h[0], sizeof h[0], "risk ratio (%d%% CI)", lvl);
    snprintf(h[1], sizeof h[1], "odds ratio (%d%% CI)", lvl);
    snprintf(h[2], sizeof h[2], "risk diff. pp (%d%% CI)", lvl);
    const char *hdr[] = { "factor", a->by, "exposed", "cases", "unexposed",
                          "cases", h[0], h[1], h[2], "notes" };
    cs_table_init(&t, 10, hdr);
    for (int f = 0; f < CS_F_N; f++) {
        const strat *s = &r->s[f];
        for (size_t i = 0; s->t && s->st && i < a->nstrata; i++) {
            const cs_2x2 *x = &s->t[i];
            const cs_epi_stratum *m = &s->st[i];
            snprintf(buf[0], sizeof buf[0], "%s", cs_factor_name(f));
            snprintf(buf[1], sizeof buf[1], "%s",
                     a->strata[i].name[0] ? a->strata[i].name : "(empty)");
            snprintf(buf[2], sizeof buf[2], "%llu", (unsigned long long)(x->a + x->b));
            snprintf(buf[3], sizeof buf[3], "%llu", (unsigned long long)x->a);
            snprintf(buf[4], sizeof buf[4], "%llu", (unsigned long long)(x->c + x->d));
            snprintf(buf[5], sizeof buf[5], "%llu", (unsigned long long)x->c);
            cs_report_stratum_cells(m, buf + 6);
            cs_epi_refs_add(&es, m->notes, buf[9], sizeof buf[9]);
            cs_table_add(&t, cells);
        }
    }
    cs_buf_puts(b, md ? "\n### Each stratum of " : "\nEach stratum of ");
    put_name(b, md, a->by);
    cs_buf_puts(b, md ? "\n\n" : " (sessions treated as independent)\n");
    cs_table_render(&t, r->o->format, 0, b);
    cs_table_dispose(&t);
    epi_list(b, &es, md);
    return cs_buf_error(b);
}

/* A model's notes under its table, a line each (text: the logistic or
 * the Poisson model's words); then, when robust intervals lead, why any
 * of them is missing, as the JSON and HTML say it. */
static void model_notes(cs_buf *b, int fmt, uint32_t status,
                        const char *(*text)(uint32_t), int robust,
                        uint32_t robust_notes)
{
    const char *gap = fmt == CS_FMT_MD ? "\n" : "";
    char t[512];

    for (unsigned bit = 0; bit < 32; bit++)
        if (status & (UINT32_C(1) << bit))
            cs_buf_printf(b, "%snote: %s\n", gap, text(UINT32_C(1) << bit));
    if (robust && robust_notes) {
        cs_clu_notes_format(t, sizeof t, robust_notes);
        cs_buf_printf(b, "%snote: robust intervals: %s\n", gap, t);
    }
}

static int render_tables(const rep *r, cs_buf *b)
{
    const cs_report_opts *o = r->o;
    const cs_agg *a = r->a;
    int fmt = o->format;
    int lvl = (int)lround(o->level * 100);
    char h_risk[40], h_rr[40], h_or[40], h_rd[40];
    cs_table t;
    char buf[16][CS_REPORT_CELL];
    const char *cells[16];

    for (int i = 0; i < 16; i++)
        cells[i] = buf[i];
    if (fmt == CS_FMT_CSV || fmt == CS_FMT_TSV) {
        static const char *const hdr[] = {
            "section", "factor", "group", "unknown", "sessions", "cases",
            "hours", "risk", "risk_lower", "risk_upper", "rate_per_1000h",
            "rate_lower", "rate_upper", "measure", "estimate", "lower",
            "upper", "statistic", "p", "notes"
        };
        const size_t nc = sizeof hdr / sizeof hdr[0];
        char v[20][4096];   /* the notes cell can hold every note */
        const char *c[20];
        cs_buf nb;
        cs_buf_init(&nb, 0);
        for (size_t i = 0; i < nc; i++)
            c[i] = v[i];
        cs_table_init(&t, nc, hdr);
#define N(i, x) cs_fmt_double(v[i], sizeof v[i], (x))
#define S(i, x) snprintf(v[i], sizeof v[i], "%s", (x))
#define U(i, x) snprintf(v[i], sizeof v[i], "%llu", (unsigned long long)(x))
#define CLR() for (size_t k_ = 0; k_ < nc; k_++) v[k_][0] = '\0'
        for (int f = 0; f < CS_F_N; f++) {
            const cs_factor_stats *s = &r->f[f];
            for (int g = 0; g < 2; g++) {
                const cs_group_stats *gs = g ? &s->unexposed : &s->exposed;
                CLR();
                S(0, "group"); S(1, cs_factor_name(f));
                S(2, g ? "unexposed" : "exposed");
                U(3, s->unknown); U(4, gs->sessions); U(5, gs->cases);
                N(6, gs->hours); N(7, gs->risk.est); N(8, gs->risk.lo);
                N(9, gs->risk.hi); N(10, gs->rate.est); N(11, gs->rate.lo);
                N(12, gs->rate.hi);
                cs_table_add(&t, c);
            }
            const struct { const char *m; const cs_ci *ci; } ms[] = {
                { "risk_ratio", &s->rr }, { "odds_ratio", &s->or },
                { "risk_difference", &s->rd }, { "af_exposed", &s->af },
            };
            for (size_t k = 0; k < 4; k++) {
                CLR();
                S(0, "comparison"); S(1, cs_factor_name(f)); S(13, ms[k].m);
                N(14, ms[k].ci->est); N(15, ms[k].ci->lo); N(16, ms[k].ci->hi);
                cs_table_add(&t, c);
            }
            const cs_epi_factor *m = &r->ep[f];
            const struct { const char *m; const cs_ci *ci; } ep[] = {
                { "paf", &m->paf },
                { "attributable_risk_population", &m->par },
                { "exact_odds_ratio", &m->exact_or },
                { "attributable_rate_per_1000h", &m->rate_difference },
                { "af_exposed_rate", &m->af_rate },
                { "attributable_rate_population_per_1000h", &m->par_rate },
                { "paf_rate", &m->paf_rate },
            };
            for (size_t k = 0; k < sizeof ep / sizeof ep[0]; k++) {
                CLR();
                S(0, "comparison"); S(1, cs_factor_name(f)); S(13, ep[k].m);
                N(14, ep[k].ci->est); N(15, ep[k].ci->lo); N(16, ep[k].ci->hi);
                if (k == 0)
                    cs_epi_notes_format(v[19], sizeof v[19], m->notes);
                cs_table_add(&t, c);
            }
            /* nnt: its kind (harm or benefit) in the group column */
            CLR();
            S(0, "comparison"); S(1, cs_factor_name(f)); S(13, "nnt");
            S(2, cs_epi_nnt_kind_name(m->nnt.kind) ? cs_epi_nnt_kind_name(m->nnt.kind) : "");
            N(14, m->nnt.est); N(15, m->nnt.lo); N(16, m->nnt.hi);
            cs_table_add(&t, c);
            CLR();
            S(0, "test"); S(1, cs_factor_name(f));
            S(13, o->yates ? "chi2_yates" : "chi2"); N(17, s->chi2.stat);
            N(18, s->chi2.p);
            cs_table_add(&t, c);
            CLR();
            S(0, "test"); S(1, cs_factor_name(f)); S(13, "fisher_exact");
            N(18, s->fisher_p);
            cs_buf_reset(&nb);
            /* The same notes as JSON: the factor's and its groups'. */
            cs_stats_notes_format(v[19], sizeof v[19],
                                  s->notes | s->exposed.notes | s->unexposed.notes);
            cs_table_add(&t, c);
            if (!r->robust)
                continue;
            const cs_clu_factor *cf = &r->cf[f];
            CLR();
            S(0, "comparison"); S(1, cs_factor_name(f)); S(13, "rate_ratio");
            N(14, r->rate_ratio[f].est); N(15, r->rate_ratio[f].lo);
            N(16, r->rate_ratio[f].hi);
            cs_table_add(&t, c);
            for (int g = 0; g < 2; g++) {
                CLR();
                S(0, "cluster_robust"); S(1, cs_factor_name(f));
                S(2, g ? "unexposed" : "exposed");
                S(13, "participants");
                U(14, g ? cf->participants_unexposed : cf->participants_exposed);
                cs_table_add(&t, c);
            }
            const struct { const char *m; const cs_ci *ci; } rb[] = {
                { "risk_ratio", &cf->risk_ratio }, { "odds_ratio", &cf->odds_ratio },
                { "risk_difference", &cf->risk_difference },
                { "rate_ratio", &cf->rate_ratio }, { "exposed_risk", &cf->exposed_risk },
                { "unexposed_risk", &cf->unexposed_risk },
                { "af_exposed", &cf->af_exposed }, { "paf", &cf->paf },
            };
            for (size_t k = 0; k < sizeof rb / sizeof rb[0]; k++) {
                CLR();
                S(0, "cluster_robust"); S(1, cs_factor_name(f)); S(13, rb[k].m);
                N(14, rb[k].ci->est); N(15, rb[k].ci->lo); N(16, rb[k].ci->hi);
                cs_table_add(&t, c);
            }
            CLR();
            S(0, "cluster_robust"); S(1, cs_factor_name(f)); S(13, "design_effect");
            N(14, cf->design_effect);
            cs_clu_notes_format(v[19], sizeof v[19], cf->notes);
            cs_table_add(&t, c);
        }
        for (int f = 0; r->has_strata && f < CS_F_N; f++) {
            const strat *s = &r->s[f];
            for (size_t i = 0; i < a->nstrata && s->t; i++) {
                CLR();
                S(0, "stratum"); S(1, cs_factor_name(f));
                snprintf(v[2], sizeof v[2], "%s=%s", a->by, a->strata[i].name);
                U(3, a->strata[i].cell[f][CS_AGG_UNKNOWN].sessions);
                U(4, s->t[i].a + s->t[i].b + s->t[i].c + s->t[i].d);
                U(5, s->t[i].a + s->t[i].c);
                cs_table_add(&t, c);
                const struct { const char *m; const cs_ci *ci; } sm[] = {
                    { "risk_ratio", &s->st[i].risk_ratio },
                    { "odds_ratio", &s->st[i].odds_ratio },
                    { "risk_difference", &s->st[i].risk_difference },
                };
                for (size_t k = 0; k < 3; k++) {
                    CLR();
                    S(0, "stratum"); S(1, cs_factor_name(f));
                    snprintf(v[2], sizeof v[2], "%s=%s", a->by, a->strata[i].name);
                    S(13, sm[k].m); N(14, sm[k].ci->est); N(15, sm[k].ci->lo);
                    N(16, sm[k].ci->hi);
                    if (k == 0)
                        cs_epi_notes_format(v[19], sizeof v[19], s->st[i].notes);
                    cs_table_add(&t, c);
                }
            }
            const struct { const char *m; const cs_ci *ci; } ms[] = {
                { "mh_risk_ratio", &s->mh.risk_ratio },
                { "mh_odds_ratio", &s->mh.odds_ratio },
            };
            for (size_t k = 0; k < 2; k++) {
                CLR();
                S(0, "stratified"); S(1, cs_factor_name(f)); S(2, a->by);
                S(13, ms[k].m); N(14, ms[k].ci->est); N(15, ms[k].ci->lo);
                N(16, ms[k].ci->hi);
                cs_table_add(&t, c);
            }
            CLR();
            S(0, "stratified"); S(1, cs_factor_name(f)); S(2, a->by);
            S(13, "mh_chi2"); N(17, s->mh.chisq.stat); N(18, s->mh.chisq.p);
            cs_table_add(&t, c);
            CLR();
            S(0, "stratified"); S(1, cs_factor_name(f)); S(2, a->by);
            S(13, "breslow_day"); N(17, s->mh.breslow_day.stat);
            N(18, s->mh.breslow_day.p);
            cs_stats_notes_format(v[19], sizeof v[19], s->notes);
            cs_table_add(&t, c);
            const cs_epi_stratified *m = &s->ep;
            const struct { const char *m; const cs_ci *ci; } mr[] = {
                { "mh_risk_difference", &m->mh_rd },
                { "mh_risk_difference_sato", &m->mh_rd_sato },
            };
            for (size_t k = 0; k < 2; k++) {
                CLR();
                S(0, "stratified"); S(1, cs_factor_name(f)); S(2, a->by);
                S(13, mr[k].m); N(14, mr[k].ci->est); N(15, mr[k].ci->lo);
                N(16, mr[k].ci->hi);
                cs_table_add(&t, c);
            }
            const struct { const char *m; double v; } ca[] = {
                { "crude_to_adjusted_risk_ratio", m->crude_adj.risk_ratio },
                { "crude_to_adjusted_odds_ratio", m->crude_adj.odds_ratio },
            };
            for (size_t k = 0; k < 2; k++) {
                CLR();
                S(0, "stratified"); S(1, cs_factor_name(f)); S(2, a->by);
                S(13, ca[k].m); N(14, ca[k].v);
                cs_table_add(&t, c);
            }
            const struct { const char *m; const cs_test *t; } wt[] = {
                { "woolf_risk_ratio", &m->woolf_rr },
                { "woolf_odds_ratio", &m->woolf_or },
            };
            for (size_t k = 0; k < 2; k++) {
                CLR();
                S(0, "stratified"); S(1, cs_factor_name(f)); S(2, a->by);
                S(13, wt[k].m); N(17, wt[k].t->stat); N(18, wt[k].t->p);
                if (k == 1)
                    cs_epi_notes_format(v[19], sizeof v[19], m->notes);
                cs_table_add(&t, c);
            }
        }
        for (size_t j = 0; r->fitted && j < r->p; j++) {
            CLR();
            S(0, "logistic"); S(1, r->term[j]); S(13, "adjusted_odds_ratio");
            U(4, r->logit_sessions);
            N(14, r->term_or[j].est); N(15, r->term_or[j].lo);
            N(16, r->term_or[j].hi); N(17, r->fit.z[j]); N(18, r->fit.p_value[j]);
            if (j == 0)
                cs_stats_notes_format(v[19], sizeof v[19], r->logit_notes);
            cs_table_add(&t, c);
        }
        for (size_t j = 0; r->robust && r->fitted && j < r->p; j++) {
            CLR();
            S(0, "logistic_robust"); S(1, r->term[j]); S(13, "adjusted_odds_ratio");
            U(4, r->logit_rb.sessions);
            N(14, r->term_or[j].est); N(15, r->logit_rb.lower[j]);
            N(16, r->logit_rb.upper[j]); N(18, r->logit_rb.p_value[j]);
            if (j == 0)
                cs_clu_notes_format(v[19], sizeof v[19], r->logit_rb.notes);
            cs_table_add(&t, c);
        }
        for (size_t j = 0; r->robust && r->pois_fitted && j < r->p; j++) {
            for (int k = 0; k < 2; k++) {
                CLR();
                S(0, k ? "poisson_robust" : "poisson"); S(1, r->term[j]);
                S(13, "adjusted_rate_ratio");
                U(4, r->pois.sessions);
                N(14, exp(r->pois.beta[j]));
                N(15, k ? r->pois_rb.lower[j] : r->pois.lower[j]);
                N(16, k ? r->pois_rb.upper[j] : r->pois.upper[j]);
                N(18, k ? r->pois_rb.p_value[j] : r->pois.p_value[j]);
                if (j == 0 && k)
                    cs_clu_notes_format(v[19], sizeof v[19], r->pois_rb.notes);
                else if (j == 0)
                    cs_stats_poisson_notes_format(v[19], sizeof v[19], r->pois.status);
                cs_table_add(&t, c);
            }
        }
#undef N
#undef S
#undef U
#undef CLR
        cs_buf_dispose(&nb);
        cs_table_render(&t, fmt, o->safe_csv, b);
        cs_table_dispose(&t);
        return cs_buf_error(b);
    }

    /* pretty and md: a header, then three tables. */
    if (fmt == CS_FMT_MD) {
        cs_buf_printf(b, "# Cramp incidence by cause factor\n\n");
        cs_buf tmp;
        cs_buf_init(&tmp, 0);
        header_lines(r, &tmp);
        /* Markdown: the header lines as a list. */
        for (char *p = tmp.ptr, *nl; p && *p; p = nl + 1) {
            nl = strchr(p, '\n');
            if (p == tmp.ptr) {  /* the title line is the heading above */
                if (!nl) break;
                continue;
            }
            cs_buf_puts(b, "- ");
            cs_md_append(b, p, (size_t)(nl - p));
            cs_buf_putc(b, '\n');
        }
        cs_buf_dispose(&tmp);
        cs_buf_putc(b, '\n');
    } else {
        header_lines(r, b);
        cs_buf_putc(b, '\n');
    }
    snprintf(h_risk, sizeof h_risk, "risk %% (%d%% CI)", lvl);
    {
        const char *hdr[] = { "factor", "unknown", "exposed", "cases", h_risk,
                              "per 1000 h", "unexposed", "cases", h_risk,
                              "per 1000 h" };
        const char *hdr_rb[] = { "factor", "unknown", "exposed", "people", "cases",
                                 h_risk, "per 1000 h", "unexposed", "people",
                                 "cases", h_risk, "per 1000 h" };
        cs_table_init(&t, r->robust ? 12 : 10, r->robust ? hdr_rb : hdr);
        for (int f = 0; f < CS_F_N; f++) {
            const cs_factor_stats *s = &r->f[f];
            const cs_clu_factor *cf = &r->cf[f];
            int k = 0;
            snprintf(buf[k++], sizeof buf[0], "%s", cs_factor_name(f));
            snprintf(buf[k++], sizeof buf[0], "%llu", (unsigned long long)s->unknown);
            for (int g = 0; g < 2; g++) {
                const cs_group_stats *gs = g ? &s->unexposed : &s->exposed;
                snprintf(buf[k++], sizeof buf[0], "%llu", (unsigned long long)gs->sessions);
                if (r->robust)
                    snprintf(buf[k++], sizeof buf[0], "%llu", (unsigned long long)
                             (g ? cf->participants_unexposed : cf->participants_exposed));
                snprintf(buf[k++], sizeof buf[0], "%llu", (unsigned long long)gs->cases);
                pct_ci(buf[k++], sizeof buf[0], !r->robust ? &gs->risk
                       : g ? &cf->unexposed_risk : &cf->exposed_risk);
                cs_fmt_disp(buf[k++], sizeof buf[0], gs->rate.est, 2);
            }
            cs_table_add(&t, cells);
        }
        if (fmt == CS_FMT_MD)
            cs_buf_printf(b, "## Risk by exposure\n\n");
        else
            cs_buf_printf(b, "Risk by exposure\n");
        cs_table_render(&t, fmt, 0, b);
        cs_table_dispose(&t);
    }
    snprintf(h_rr, sizeof h_rr, "risk ratio (%d%% CI)", lvl);
    snprintf(h_or, sizeof h_or, "odds ratio (%d%% CI)", lvl);
    snprintf(h_rd, sizeof h_rd, "risk diff. pp (%d%% CI)", lvl);
    {
        char h_rate[48], h_af[40], h_paf[40];
        snprintf(h_af, sizeof h_af, "AF exp. %% (%d%% CI)", lvl);
        snprintf(h_paf, sizeof h_paf, "PAF %% (%d%% CI)", lvl);
        const char *hdr[] = { "factor", h_rr, h_or, h_rd, h_af, h_paf,
                              o->yates ? "chi2 p (Yates)" : "chi2 p",
                              "Fisher p", "notes" };
        snprintf(h_rate, sizeof h_rate, "rate ratio (%d%% CI)", lvl);
        const char *hdr_rb[] = { "factor", h_rr, h_or, h_rd, h_rate, "deff",
                                 h_af, h_paf,
                                 o->yates ? "chi2 p (Yates)" : "chi2 p",
                                 "Fisher p", "notes" };
        cs_table_init(&t, r->robust ? 11 : 9, r->robust ? hdr_rb : hdr);
        int nclu = 0;
        uint32_t seen_clu[8];
        int nnote = 0;
        uint32_t seen[32];
        int nseen = 0;
        for (int f = 0; f < CS_F_N; f++) {
            const cs_factor_stats *s = &r->f[f];
            uint32_t notes = s->notes | s->exposed.notes | s->unexposed.notes;
            size_t n = 0;
            const cs_clu_factor *cf = &r->cf[f];
            const cs_ci *rr = r->robust ? &cf->risk_ratio : &s->rr;
            const cs_ci *or = r->robust ? &cf->odds_ratio : &s->or;
            const cs_ci *rd = r->robust ? &cf->risk_difference : &s->rd;
            int x = r->robust ? 2 : 0, nb = r->robust ? 10 : 8;
            snprintf(buf[0], sizeof buf[0], "%s", cs_factor_name(f));
            cs_fmt_ci(buf[1], sizeof buf[1], rr->est, rr->lo, rr->hi, 2);
            cs_fmt_ci(buf[2], sizeof buf[2], or->est, or->lo, or->hi, 2);
            cs_fmt_ci(buf[3], sizeof buf[3], 100 * rd->est, 100 * rd->lo,
                      100 * rd->hi, 2);
            if (r->robust) {
                cs_fmt_ci(buf[4], sizeof buf[4], cf->rate_ratio.est,
                          cf->rate_ratio.lo, cf->rate_ratio.hi, 2);
                cs_fmt_disp(buf[5], sizeof buf[5], cf->design_effect, 2);
            }
            const cs_ci *af = cs_report_af(r, f);
            const cs_ci *paf = cs_report_paf(r, f);
            cs_fmt_ci(buf[4 + x], sizeof buf[4], 100 * af->est, 100 * af->lo,
                      100 * af->hi, 1);
            cs_fmt_ci(buf[5 + x], sizeof buf[5], 100 * paf->est, 100 * paf->lo,
                      100 * paf->hi, 1);
            cs_fmt_p(buf[6 + x], sizeof buf[6], s->chi2.p);
            cs_fmt_p(buf[7 + x], sizeof buf[7], s->fisher_p);
            if (s->small_expected)
                snprintf(buf[7 + x] + strlen(buf[7 + x]), sizeof buf[7] - strlen(buf[7 + x]), " *");
            buf[nb][0] = '\0';
            /* Notes are numbered once and referred to by number. */
            for (unsigned bit = 0; bit < 32; bit++) {
                uint32_t m = UINT32_C(1) << bit;
                int k;
                if (!(notes & m) || m == CS_NOTE_SMALL_EXPECTED)
                    continue;
                for (k = 0; k < nseen && seen[k] != m; k++)
                    ;
                if (k == nseen)
                    seen[nseen++] = m;
                n += (size_t)snprintf(buf[nb] + n, sizeof buf[8] - n, "%s%d",
                                      n ? "," : "", k + 1);
            }
            /* The robust measures' own notes, lettered. */
            for (unsigned bit = 0; r->robust && bit < 8; bit++) {
                uint32_t m = UINT32_C(1) << bit;
                int k;
                if (!(cf->notes & m))
                    continue;
                for (k = 0; k < nclu && seen_clu[k] != m; k++)
                    ;
                if (k == nclu)
                    seen_clu[nclu++] = m;
                n += (size_t)snprintf(buf[nb] + n, sizeof buf[8] - n, "%s%c",
                                      n ? "," : "", 'a' + k);
            }
            (void)nnote;
            cs_table_add(&t, cells);
        }
        cs_buf_printf(b, fmt == CS_FMT_MD ? "\n## Comparison, exposed vs unexposed\n\n"
                                        : "\nComparison, exposed vs unexposed\n");
        cs_table_render(&t, fmt, 0, b);
        cs_table_dispose(&t);
        if (cs_report_any_star(r))
            cs_buf_printf(b, "%s* an expected count is below 5: read "
                          "Fisher's exact p\n", fmt == CS_FMT_MD ? "\n" : "");
        for (int k = 0; k < nseen; k++)
            cs_buf_printf(b, "%s%d. %s\n", fmt == CS_FMT_MD ? "\n" : "",
                          k + 1, cs_stats_note_text(seen[k]));
        for (int k = 0; k < nclu; k++) {
            char t2[160];
            cs_clu_notes_format(t2, sizeof t2, seen_clu[k]);
            cs_buf_printf(b, "%s%c. robust interval undefined: %s\n",
                          fmt == CS_FMT_MD ? "\n" : "", 'a' + k, t2);
        }
        if (r->robust)
            cs_buf_printf(b, "%sRisks, RR, OR, RD, rate ratio, AF "
                          "and PAF: intervals robust to clustering "
                          "within participants; deff = (robust / "
                          "Katz SE of log RR)^2; chi-square and "
                          "Fisher p treat sessions as independent.\n",
                          fmt == CS_FMT_MD ? "\n" : "");
        cs_buf_printf(b, "%sAF exp.: attributable fraction among "
                      "the exposed, (RR - 1) / RR; PAF: population "
                      "attributable fraction, the share of all "
                      "cases that would not occur without the "
                      "factor.\n", fmt == CS_FMT_MD ? "\n" : "");
    }
    attributable_table(r, b);
    if (r->has_strata) {
        char h_mrd[48];
        const char *hdr[] = { "factor", "strata", h_rr, h_or, h_mrd,
                              "crude/MH RR", "crude/MH OR", "MH chi2 p",
                              "Breslow-Day p", "Woolf p RR", "Woolf p OR",
                              "notes" };
        snprintf(h_rr, sizeof h_rr, "MH risk ratio (%d%% CI)", lvl);
        snprintf(h_or, sizeof h_or, "MH odds ratio (%d%% CI)", lvl);
        snprintf(h_mrd, sizeof h_mrd, "MH risk diff. pp (%d%% CI)", lvl);
        cs_epi_refs es;
        memset(&es, 0, sizeof es);
        cs_table_init(&t, 12, hdr);
        for (int f = 0; f < CS_F_N; f++) {
            const strat *s = &r->s[f];
            const cs_epi_stratified *m = &s->ep;
            size_t n;
            snprintf(buf[0], sizeof buf[0], "%s", cs_factor_name(f));
            snprintf(buf[1], sizeof buf[1], "%zu", s->mh.strata_used);
            cs_fmt_ci(buf[2], sizeof buf[2], s->mh.risk_ratio.est,
                      s->mh.risk_ratio.lo, s->mh.risk_ratio.hi, 2);
            cs_fmt_ci(buf[3], sizeof buf[3], s->mh.odds_ratio.est,
                      s->mh.odds_ratio.lo, s->mh.odds_ratio.hi, 2);
            cs_report_pooled_cells(m, buf[4], buf[5], buf[6], buf[9], buf[10]);
            cs_fmt_p(buf[7], sizeof buf[7], s->mh.chisq.p);
            cs_fmt_p(buf[8], sizeof buf[8], s->mh.breslow_day.p);
            n = (size_t)snprintf(buf[11], sizeof buf[11], "%s",
                                 s->notes & CS_NOTE_BD_TOO_FEW_STRATA
                                 ? "Breslow-Day undefined" : "");
            cs_epi_refs_add(&es, m->notes, buf[11] + n + (n > 0), sizeof buf[11] - n - 1);
            if (n > 0 && buf[11][n + 1])
                buf[11][n] = ' ';
            cs_table_add(&t, cells);
        }
        cs_buf_puts(b, fmt == CS_FMT_MD ? "\n## Stratified by "
                                        : "\nStratified by ");
        put_name(b, fmt == CS_FMT_MD, a->by);
        cs_buf_printf(b, " (Mantel-Haenszel%s)\n%s",
                      r->robust ? "; treats sessions as independent" : "",
                      fmt == CS_FMT_MD ? "\n" : "");
        cs_table_render(&t, fmt, 0, b);
        cs_table_dispose(&t);
        epi_list(b, &es, fmt == CS_FMT_MD);
        cs_buf_printf(b, "%sMH risk diff.: Greenland-Robins "
                      "variance; crude/MH: the crude ratio over "
                      "the pooled one, far from 1 when ",
                      fmt == CS_FMT_MD ? "\n" : "");
        put_name(b, fmt == CS_FMT_MD, a->by);
        cs_buf_puts(b, " confounds the factor; Breslow-Day and Woolf: small "
                    "p when the ratio differs between strata.\n");
        strata_table(r, b);
    }
    {
        const char *hdr[] = { "term", h_or, "p" };
        snprintf(h_or, sizeof h_or, "adjusted odds ratio (%d%% CI)", lvl);
        cs_table_init(&t, 3, hdr);
        for (size_t j = 0; r->fitted && j < r->p; j++) {
            snprintf(buf[0], sizeof buf[0], "%s", r->term[j]);
            /* Small odds ratios (the intercept's baseline odds) need more
             * decimals to say anything. */
            cs_fmt_ci(buf[1], sizeof buf[1], r->term_or[j].est,
                      r->robust ? r->logit_rb.lower[j] : r->term_or[j].lo,
                      r->robust ? r->logit_rb.upper[j] : r->term_or[j].hi,
                      r->term_or[j].est < 0.1 ? 4 : 2);
            cs_fmt_p(buf[2], sizeof buf[2],
                     r->robust ? r->logit_rb.p_value[j] : r->fit.p_value[j]);
            cs_table_add(&t, cells);
        }
        cs_buf_printf(b, fmt == CS_FMT_MD
            ? "\n## Logistic regression on the six main factors\n\n%llu sessions with all six known; %s%s.\n\n"
            : "\nLogistic regression on the six main factors (%llu sessions with all six known; %s%s)\n",
            (unsigned long long)r->logit_sessions,
            !r->fitted ? "no data" : r->fit.converged ? "converged" : "did not converge",
            r->robust ? "; robust intervals" : "");
        cs_table_render(&t, fmt, 0, b);
        cs_table_dispose(&t);
        model_notes(b, fmt, r->logit_notes, cs_stats_note_text, r->robust,
                    r->logit_rb.notes);
    }
    if (r->robust) {
        const char *hdr[] = { "term", h_or, "p" };
        snprintf(h_or, sizeof h_or, "rate ratio (%d%% CI)", lvl);
        cs_table_init(&t, 3, hdr);
        for (size_t j = 0; r->pois_fitted && j < r->p; j++) {
            double e = exp(r->pois.beta[j]);
            snprintf(buf[0], sizeof buf[0], "%s", j ? r->term[j]
                     : "baseline per 1000 h");
            cs_fmt_ci(buf[1], sizeof buf[1], e, r->pois_rb.lower[j],
                      r->pois_rb.upper[j], 2);
            cs_fmt_p(buf[2], sizeof buf[2], r->pois_rb.p_value[j]);
            cs_table_add(&t, cells);
        }
        cs_buf_printf(b, fmt == CS_FMT_MD
            ? "\n## Poisson rate model (cases per 1000 h) on the six main factors\n\n%llu sessions; %s; robust intervals.\n\n"
            : "\nPoisson rate model, cases per 1000 h (%llu sessions; %s; robust intervals)\n",
            (unsigned long long)(r->pois_fitted ? r->pois.sessions : 0),
            !r->pois_fitted ? "no data" : r->pois.converged ? "converged" : "did not converge");
        cs_table_render(&t, fmt, 0, b);
        cs_table_dispose(&t);
        if (r->pois_fitted)
            model_notes(b, fmt, r->pois.status, cs_stats_poisson_note_text, 1,
                        r->pois_rb.notes);
    }
    return cs_buf_error(b);
}

int cs_report_render(const cs_agg *a, const cs_report_opts *o, cs_buf *out)
{
    rep *r = cs_report_compute(a, o);

    if (!r)
        return cs_buf_fail(out, CS_ENOMEM);
    if (o->format == CS_FMT_JSON) {
        render_json(r, out);
        cs_buf_putc(out, '\n');
    } else
        render_tables(r, out);
    /* dose-response and over time: pretty and md (csv/tsv keep the
     * factor table's columns) */
    if (o->format == CS_FMT_PRETTY || o->format == CS_FMT_MD)
        cs_report_dose_tables(out, r);
    cs_report_free(r);
    return cs_buf_error(out);
}

int cs_report_json_value(const cs_agg *a, const cs_report_opts *o, cs_buf *out)
{
    cs_report_opts j = *o;
    rep *r;

    j.format = CS_FMT_JSON;
    if (!(r = cs_report_compute(a, &j)))
        return cs_buf_fail(out, CS_ENOMEM);
    render_json(r, out);
    cs_report_free(r);
    return cs_buf_error(out);
}

int cs_agg_render(const cs_agg *a, const cs_report_opts *o, cs_buf *out,
                  cs_error *err)
{
    int tables = cs_agg_has(a, "factors");

    if (tables && a->cal && o->format == CS_FMT_JSON) {
        cs_buf_puts(out, "{\"aggregate\": ");
        if (cs_report_json_value(a, o, out) < 0)
            goto failed;
        cs_buf_puts(out, ",\n\"calories\": ");
        if (cs_cal_json_value(a->cal, o, out, err) < 0)
            return err->code;
        cs_buf_puts(out, "}\n");
    } else {
        if (tables && cs_report_render(a, o, out) < 0)
            goto failed;
        if (tables && a->cal)
            cs_buf_putc(out, '\n');
        if (a->cal && cs_cal_render(a->cal, o, out, err) < 0)
            return err->code;
    }
    if (!cs_buf_error(out))
        return CS_OK;
failed:
    return cs_buf_failed(out, err);
}
