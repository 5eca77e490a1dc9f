/* The aggregate report: statistics computed from an aggregate state and
 * rendered as pretty text, CSV, TSV, JSON or Markdown. */
#ifndef CRAMPSTAT_REPORT_H
#define CRAMPSTAT_REPORT_H

#include <crampstat/aggregate.h>
#include <crampstat/buf.h>
#include <crampstat/epi.h>
#include <crampstat/fmt.h>
#include <crampstat/stats.h>

enum cs_ci_method { CS_CI_WILSON = 0, CS_CI_EXACT };

typedef struct cs_report_opts {
    int format;        /* enum cs_format (not html: see cs_html_report) */
    double level;      /* confidence level, default 0.95 */
    int ci;            /* enum cs_ci_method for risks */
    int yates;         /* continuity-corrected chi-square */
    int safe_csv;
    int cluster;       /* 1: intervals robust to the clustering of sessions
                          within participants lead (when the state has the
                          per-participant sums); 0: --cluster none */
    int period;        /* enum cs_period_kind: incidence over time */
} cs_report_opts;

void cs_report_opts_init(cs_report_opts *o);

/* The statistics of one exposure group and of one factor. */
typedef struct cs_group_stats {
    uint64_t sessions, cases;
    double hours;
    cs_ci risk, rate;          /* rate per 1000 exposure hours */
    uint32_t notes;
} cs_group_stats;

typedef struct cs_factor_stats {
    int factor;
    uint64_t unknown;
    cs_2x2 t;
    cs_group_stats exposed, unexposed;
    cs_ci rr, or, rd, af;
    double paf;
    cs_test chi2;
    double fisher_p;
    int small_expected;
    uint32_t notes;
} cs_factor_stats;

void cs_factor_stats_compute(cs_factor_stats *out, int factor,
                             const cs_agg_cell *unexposed,
                             const cs_agg_cell *exposed, uint64_t unknown,
                             const cs_report_opts *o);

/* The crude (unstratified) statistics of every factor: strata summed. */
void cs_report_crude(cs_factor_stats out[CS_F_N], const cs_agg *a,
                     const cs_report_opts *o);
/* The 2x2 table of factor f in each stratum of a, in a's order, into
 * out[0 .. a->nstrata - 1]. */
void cs_report_strata(cs_2x2 *out, const cs_agg *a, int f);

/* The stratified (Mantel-Haenszel) results of one factor. */
typedef struct cs_report_strat {
    int factor;
    cs_2x2 *t;       /* per stratum, in the state's order */
    cs_epi_stratum *st;   /* each stratum's RR, OR and RD (same order) */
    cs_mh mh;
    cs_epi_stratified ep; /* MH risk difference, crude/MH, Woolf */
    uint32_t notes;
} cs_report_strat;

/* Every statistic of the report, computed once from a finished state:
 * what the text, JSON and HTML renderers show. */
typedef struct cs_report {
    const cs_agg *a;
    const cs_report_opts *o;
    cs_factor_stats f[CS_F_N];     /* crude, session-level */
    cs_epi_factor ep[CS_F_N];      /* epi.2by2's further measures */
    cs_report_strat s[CS_F_N];     /* when has_strata */
    int has_strata;
    /* logistic regression on the six main factors (and --adjust) */
    int fitted;
    cs_logit_fit fit;
    size_t p;                      /* terms, intercept first */
    char term[CS_LOGIT_MAXP][160];
    cs_ci term_or[CS_LOGIT_MAXP];  /* session-level intervals */
    uint64_t logit_sessions;
    uint32_t logit_notes;
    /* the exact rate ratio of each factor */
    cs_ci rate_ratio[CS_F_N];
    uint32_t rate_notes[CS_F_N];
    /* Poisson rate model on the same patterns */
    int pois_fitted;
    cs_poisson_fit pois;
    /* robust to clustering: robust = the state has the per-participant
     * sums and the options ask for them (cs_report_opts.cluster); then cf,
     * logit_rb (when fitted) and pois_rb (when pois_fitted) are set */
    int robust;
    cs_clu_factor cf[CS_F_N];
    cs_clu_terms logit_rb, pois_rb;
    /* dose-response (when a->dose.present) and incidence over time (when
     * a->period.present; period_nomem if its rows could not be made) */
    cs_dose_stats dose[CS_DOSE_N];
    cs_period_row *period;
    size_t nperiod;
    int period_nomem;
} cs_report;

/* The display text of the epi measures, shared by the text and HTML
 * renderers so that they show the same digits. Each cell holds up to
 * CS_REPORT_CELL bytes. */
#define CS_REPORT_CELL 192
/* Factor f's attributable table: population attributable risk (pp), NNT,
 * exact OR, attributable rate per 1000 h, AF and PAF on rates (%). */
void cs_report_attr_cells(const cs_report *r, int f, char cell[6][CS_REPORT_CELL]);
/* A stratum's risk ratio, odds ratio and risk difference (pp). */
void cs_report_stratum_cells(const cs_epi_stratum *m, char cell[3][CS_REPORT_CELL]);
/* A stratified factor's MH risk difference (pp), crude/MH RR and OR, and
 * Woolf's p for the RR and the OR, each into a cell of CS_REPORT_CELL. */
void cs_report_pooled_cells(const cs_epi_stratified *m, char *rd, char *crude_rr,
                            char *crude_or, char *woolf_rr, char *woolf_or);
/* The AF among the exposed and the PAF of factor f that the comparison
 * table shows: the robust ones when r->robust, else session-level. */
const cs_ci *cs_report_af(const cs_report *r, int f);
const cs_ci *cs_report_paf(const cs_report *r, int f);
/* Whether some factor's Fisher p is starred (an expected count below 5):
 * the star's footnote goes only under a table that has one. */
int cs_report_any_star(const cs_report *r);

/* Compute the report of a finished state; a and o must outlive it. NULL
 * when out of memory. Undefined measures are NaN with notes, as in JSON. */
cs_report *cs_report_compute(const cs_agg *a, const cs_report_opts *o);
void cs_report_free(cs_report *r);

/* ---- dose-response and incidence over time (src/report_dose.c) ---- */
void cs_report_dose_compute(cs_dose_stats out[CS_DOSE_N], const cs_agg *a,
                            const cs_report_opts *o);
/* "4 to <7", "9+", "<27" */
void cs_dose_band_label(char *d, size_t cap, double lower, double upper);
/* The JSON members ",\n\"dose_response\": ...,\n\"over_time\": ...". */
int cs_report_dose_json(cs_buf *b, const cs_report *r);
/* The two sections as pretty or Markdown tables. */
int cs_report_dose_tables(cs_buf *b, const cs_report *r);
/* Why an exposure's band measures or trend are missing, as text for the
 * tables: into nt the bands' and the trend's notes, into rt the robust
 * trend's (each "" when none). */
void cs_report_dose_notes(const cs_dose_stats *x, char *nt, size_t ncap,
                          char *rt, size_t rcap);

/* Render the report of a finished state into out. */
int cs_report_render(const cs_agg *a, const cs_report_opts *o, cs_buf *out);
/* The JSON report as a value: the object without the newline that ends
 * the document, to be a member of another (analyze's "aggregate"). */
int cs_report_json_value(const cs_agg *a, const cs_report_opts *o, cs_buf *out);
/* The report of every accumulator a state holds: the factor report, the
 * calorie report, or both (as analyze shows them: one after the other,
 * in JSON as the members "aggregate" and "calories"). CS_OK, or the
 * failure (out of memory, out's cap) in err. */
int cs_agg_render(const cs_agg *a, const cs_report_opts *o, cs_buf *out,
                  cs_error *err);

#endif
