/* Epidemiological measures beside those of stats.h, as R's epiR::epi.2by2
 * reports them for cohort data (counts and person-time), with the places
 * where crampstat deliberately differs from epiR listed in docs/epi.md:
 * intervals for the population attributable fraction and risk, the
 * number needed to treat, the conditional maximum-likelihood (exact) odds
 * ratio, attributable measures on rates, per-stratum measures, the
 * Mantel-Haenszel risk difference, the crude-to-adjusted ratios and
 * Woolf's homogeneity tests. The attributable fraction among the exposed
 * with its interval is cs_stats_af_exposed (stats.h) and is not repeated.
 *
 * Everything here is a pure function of counts, with the conventions of
 * stats.h: NaN means undefined, nothing is silently corrected (no 0.5 is
 * added anywhere), level is the two-sided confidence level and z its
 * exact normal quantile. The measures allocate nothing; the JSON writers
 * at the end append to a cs_buf.
 *
 * Notes: each function returns a 64-bit mask. Its low 32 bits are the
 * CS_NOTE_* bits of stats.h, with their meaning and text; the high 32
 * bits are the CS_EPI_NOTE_* bits below. cs_epi_notes_format() writes the
 * text of both; (uint32_t)notes is what cs_stats_notes_format() reads. */
#ifndef CRAMPSTAT_EPI_H
#define CRAMPSTAT_EPI_H

#include <stddef.h>
#include <stdint.h>

#include <crampstat/buf.h>
#include <crampstat/stats.h>

#define CS_EPI_NOTE(bit) (UINT64_C(1) << (32 + (bit)))
/* c == 0 with cases among the exposed: the PAF is 1 and the variance of
 * log(1 - PAF) divides by c, so the interval is undefined. */
#define CS_EPI_NOTE_PAF_NO_UNEXPOSED_CASES CS_EPI_NOTE(0)
/* The risk difference is 0: the number needed to treat is infinite. */
#define CS_EPI_NOTE_NNT_INFINITE CS_EPI_NOTE(1)
/* The interval of the risk difference contains 0, so the interval of the
 * number needed to treat passes through infinity (Altman 1998): upper is
 * negative, the bound of the other kind. */
#define CS_EPI_NOTE_NNT_THROUGH_INFINITY CS_EPI_NOTE(2)
/* a is the smallest value the margins allow: the conditional MLE odds
 * ratio and its lower limit are 0. */
#define CS_EPI_NOTE_EXACT_OR_ZERO CS_EPI_NOTE(3)
/* a is the largest value the margins allow: the conditional MLE odds
 * ratio and its upper limit are infinite. */
#define CS_EPI_NOTE_EXACT_OR_INFINITE CS_EPI_NOTE(4)
/* No events among the unexposed: the rate ratio is undefined. */
#define CS_EPI_NOTE_IRR_UNDEFINED CS_EPI_NOTE(5)
/* Strata without exposed or without unexposed sessions carry no weight
 * in the Mantel-Haenszel risk difference and were left out. */
#define CS_EPI_NOTE_RD_STRATA_SKIPPED CS_EPI_NOTE(6)
/* No stratum has both exposed and unexposed sessions. */
#define CS_EPI_NOTE_MH_RD_UNDEFINED CS_EPI_NOTE(7)
/* Strata whose log ratio or its variance is undefined (a zero cell the
 * measure divides by, or a variance of 0) were left out of Woolf's test. */
#define CS_EPI_NOTE_WOOLF_SKIPPED CS_EPI_NOTE(8)
/* Fewer than two strata are left for Woolf's test: statistic and p NaN. */
#define CS_EPI_NOTE_WOOLF_TOO_FEW CS_EPI_NOTE(9)
/* The crude or the Mantel-Haenszel measure is 0 or undefined, so their
 * ratio is undefined. */
#define CS_EPI_NOTE_CRUDE_ADJ_UNDEFINED CS_EPI_NOTE(10)
/* cs_epi_paf_rate: no cases among the exposed, where epiR's interval
 * collapses to the estimate. */
#define CS_EPI_NOTE_PAF_RATE_NO_EXPOSED_CASES CS_EPI_NOTE(11)

/* Short English text of the lowest set bit of note, CS_NOTE_* or
 * CS_EPI_NOTE_*; NULL for 0 or an unknown bit. The string is static. */
const char *cs_epi_note_text(uint64_t note);

/* Texts of every bit of notes joined by "; ", as cs_stats_notes_format
 * (the CS_NOTE_* texts first). Returns the length the full text needs. */
size_t cs_epi_notes_format(char *buf, size_t cap, uint64_t notes);

/* Notes referred to by number in a table: e1, e2, ... in the order the
 * bits are first met (the list under the table prints them in that
 * order with cs_epi_note_text). */
typedef struct cs_epi_refs {
    uint64_t bit[64];
    int n;
} cs_epi_refs;
/* Write "e1,e3" for the bits of notes into d (CS_NOTE_SMALL_EXPECTED and
 * bits without a text are left out), numbering new bits in e. */
void cs_epi_refs_add(cs_epi_refs *e, uint64_t notes, char *d, size_t cap);

/* ---- One 2x2 table of counts ------------------------------------------ */

/* Population attributable fraction (ad - bc) / ((a + c)(c + d)), the same
 * number as cs_stats_paf, with Jewell's (2004) interval on log(1 - PAF):
 *   Var = (b + PAF (a + d)) / (n c),
 *   lo = 1 - (1 - PAF) exp(z sqrt(Var)), hi = 1 - (1 - PAF) exp(-z sqrt(Var)).
 * Undefined estimate as cs_stats_paf (CS_NOTE_EMPTY, _NO_UNEXPOSED,
 * _NO_CASES). c == 0 (and a > 0): est 1, lo and hi NaN,
 * CS_EPI_NOTE_PAF_NO_UNEXPOSED_CASES. */
uint64_t cs_epi_paf(cs_ci *out, const cs_2x2 *t, double level);

/* Population attributable risk (a + c) / n - c / (c + d), the excess risk
 * of the whole population over the unexposed, with epiR's Wald interval
 *   SE = sqrt(m1 m0 / n^3 + c d / n0^3)
 * (m1, m0 the case and non-case totals, n0 = c + d). A proportion, not
 * scaled. n0 == 0: NaN, CS_NOTE_NO_UNEXPOSED (with n == 0 also
 * CS_NOTE_EMPTY). SE 0: lo and hi NaN, CS_NOTE_ZERO_SE. */
uint64_t cs_epi_par(cs_ci *out, const cs_2x2 *t, double level);

/* Number needed to treat, 1 / |RD|, from cs_stats_rd and its Wald
 * interval. kind says which way: the outcome is harmful (a cramp), so a
 * positive risk difference (exposure adds cases) is CS_EPI_NNT_HARM and a
 * negative one CS_EPI_NNT_BENEFIT.
 * The limits are reciprocals of the limits of RD, signed so that a
 * positive value is of the estimate's kind: lo = 1 / (the limit of RD
 * furthest from 0 on the estimate's side), hi = 1 / (the other limit). When
 * the RD interval excludes 0, 0 < lo <= est <= hi. When it contains 0
 * (Altman 1998) hi is negative, CS_EPI_NOTE_NNT_THROUGH_INFINITY: the
 * interval runs from lo up to infinity and back down to |hi| of the other
 * kind ("NNTH lo to infinity to NNTB |hi|"); an RD limit of exactly 0
 * gives hi = +infinity. RD == 0: all NaN, kind CS_EPI_NNT_NONE,
 * CS_EPI_NOTE_NNT_INFINITE. Notes of cs_stats_rd are passed on. */
enum cs_epi_nnt_kind { CS_EPI_NNT_NONE = 0, CS_EPI_NNT_BENEFIT = 1,
                       CS_EPI_NNT_HARM = 2 };
typedef struct cs_nnt {
    double est, lo, hi;
    int kind;                 /* enum cs_epi_nnt_kind */
} cs_nnt;
uint64_t cs_epi_nnt(cs_nnt *out, const cs_2x2 *t, double level);

/* "benefit", "harm" or NULL (CS_EPI_NNT_NONE); static strings. */
const char *cs_epi_nnt_kind_name(int kind);

/* The number needed to treat as a table shows it, NNTH (harm) or NNTB
 * (benefit) before the estimate: "NNTH 28.2 (24.9, 32.3)"; an interval
 * through infinity (Altman) as "NNTH 32.9 (13.4 to inf to NNTB 73.0)", or
 * "(13.4 to inf)" when an RD limit is exactly 0; "-" when RD is 0 or
 * undefined; no interval when its limits are undefined. */
void cs_epi_nnt_format(char *d, size_t cap, const cs_nnt *n, int decimals);

/* Conditional maximum-likelihood odds ratio, the odds ratio psi at which
 * the mean of the noncentral hypergeometric law of a (margins fixed)
 * equals the observed a, with the exact interval: lo solves
 * P(A >= a | psi) = (1 - level) / 2 and hi solves P(A <= a | psi) =
 * (1 - level) / 2. These are R's fisher.test estimate and conf.int, here
 * computed to about 1e-12 relative (fisher.test itself stops its root
 * search at a tolerance of about 1e-4; see docs/epi.md).
 * The law is summed outward from its mode as products of ratios, rescaled
 * before they underflow, stopping where the rest is below 1e-18 of what
 * is summed; no step needs a log. A sample data factor takes about
 * 0.2 ms, cells in the billions a few tenths of a second.
 * a at the smallest value the margins allow: est 0, lo 0,
 * CS_EPI_NOTE_EXACT_OR_ZERO; at the largest: est and hi +infinity,
 * CS_EPI_NOTE_EXACT_OR_INFINITE. A zero row or column total: all NaN,
 * CS_NOTE_ZERO_MARGIN (R's fisher.test returns 0 and [0, Inf] there).
 * A root that cannot be found: NaN, CS_NOTE_NUMERIC. */
uint64_t cs_epi_exact_or(cs_ci *out, const cs_2x2 *t, double level);

/* ---- Person-time --------------------------------------------------------- */

/* Events and person-time of the exposed (a, t1) and unexposed (c, t0). */
typedef struct cs_pt2 {
    uint64_t a, c;
    double t1, t0;
} cs_pt2;

/* Attributable rate (incidence rate difference) (a / t1 - c / t0) * per,
 * Wald interval with SE = sqrt(a / t1^2 + c / t0^2) * per. t1 or t0 == 0:
 * NaN, CS_NOTE_NO_TIME; a time negative or not finite, per <= 0: NaN,
 * CS_NOTE_BAD_INPUT. No events at all: est 0, lo and hi NaN,
 * CS_NOTE_ZERO_SE. */
uint64_t cs_epi_rate_difference(cs_ci *out, const cs_pt2 *t, double per,
                                double level);

/* Attributable fraction among the exposed on rates, (IRR - 1) / IRR, with
 * the exact conditional interval of the rate ratio IRR = (a/t1) / (c/t0)
 * (Clopper-Pearson on a of a + c, as epiR's F-distribution form) carried
 * through. c == 0 (IRR infinite, or 0/0): NaN, CS_EPI_NOTE_IRR_UNDEFINED; a == 0
 * (IRR 0): NaN, CS_NOTE_AF_UNDEFINED; time notes as
 * cs_epi_rate_difference. */
uint64_t cs_epi_af_rate(cs_ci *out, const cs_pt2 *t, double level);

/* Population attributable rate ((a + c) / (t1 + t0) - c / t0) * per with
 * epiR's Wald interval, SE = sqrt((a + c) / (t1 + t0)^2 + c / t0^2) * per.
 * t0 == 0: NaN, CS_NOTE_NO_TIME. */
uint64_t cs_epi_par_rate(cs_ci *out, const cs_pt2 *t, double per,
                         double level);

/* Population attributable fraction on rates, (Ip - I0) / Ip with Ip the
 * population rate (a + c) / (t1 + t0) and I0 = c / t0, and epiR's
 * interval: the smaller and larger of (Ip_lo - I0_lo) / Ip_lo and
 * (Ip_hi - I0_hi) / Ip_hi, from the exact Poisson limits of both rates
 * (cs_stats_poisson_rate). No events: NaN, CS_NOTE_NO_CASES. No cases
 * among the exposed: the estimate, lo and hi NaN,
 * CS_EPI_NOTE_PAF_RATE_NO_EXPOSED_CASES (epiR's interval is then the
 * estimate itself). */
uint64_t cs_epi_paf_rate(cs_ci *out, const cs_pt2 *t, double level);

/* ---- Strata --------------------------------------------------------------- */

/* The risk ratio, odds ratio and risk difference of one stratum, each with
 * the interval and notes of cs_stats_rr, cs_stats_or and cs_stats_rd. */
typedef struct cs_epi_stratum {
    cs_ci risk_ratio, odds_ratio, risk_difference;
    uint64_t notes;           /* the three functions' notes, or-ed */
} cs_epi_stratum;
uint64_t cs_epi_stratum_measures(cs_epi_stratum *out, const cs_2x2 *t,
                                 double level);

/* Variance of the Mantel-Haenszel risk difference. */
enum cs_epi_rd_var {
    CS_EPI_RD_GREENLAND_ROBINS = 0,  /* Greenland-Robins (1985) */
    CS_EPI_RD_SATO = 1               /* Sato (1989) */
};

/* Mantel-Haenszel risk difference over k strata,
 *   RD = sum (a n0 - c n1) / n  /  sum n1 n0 / n,
 * with a Wald interval from the variance chosen by var:
 *   Greenland-Robins: sum (n1 n0 / n)^2 (a b / n1^3 + c d / n0^3) / W^2,
 *   Sato: (RD P + Q) / W^2, P = sum (n1^2 c - n0^2 a + n1 n0 (n0 - n1)/2)
 *         / n^2, Q = sum (a (n0 - c) + c (n1 - a)) / (2 n),
 * W = sum n1 n0 / n. Strata with n1 == 0 or n0 == 0 have no weight and
 * are left out (CS_EPI_NOTE_RD_STRATA_SKIPPED; epiR's variance is NaN
 * there). None left: NaN, CS_EPI_NOTE_MH_RD_UNDEFINED. A variance of 0:
 * lo and hi NaN, CS_NOTE_ZERO_SE; a negative Sato variance (possible with
 * tiny strata): lo and hi NaN, CS_NOTE_NUMERIC. strata NULL with k > 0 or
 * var unknown: NaN, CS_NOTE_BAD_INPUT. */
uint64_t cs_epi_mh_rd(cs_ci *out, const cs_2x2 *strata, size_t k, int var,
                      double level);

/* Crude over Mantel-Haenszel: the risk ratio and odds ratio of the table
 * summed over the strata divided by the pooled MH estimates of
 * cs_stats_mh. Far from 1 means the stratifier confounds the factor. A
 * ratio whose crude or MH estimate is 0 or undefined is NaN,
 * CS_EPI_NOTE_CRUDE_ADJ_UNDEFINED. */
typedef struct cs_epi_crude_adj {
    double risk_ratio, odds_ratio;
} cs_epi_crude_adj;
uint64_t cs_epi_crude_to_adjusted(cs_epi_crude_adj *out,
                                  const cs_2x2 *strata, size_t k);

/* Woolf's test of homogeneity of the risk ratios: the weighted sum of
 * squares sum w (log RR_i - log RR_w)^2 with w = 1 / Var(log RR_i) (Katz)
 * and log RR_w their weighted mean, chi-square with (strata used - 1) df.
 * Strata with a == 0 or c == 0 (log RR undefined) or with a variance of 0
 * are left out, CS_EPI_NOTE_WOOLF_SKIPPED; fewer than two left: NaN,
 * CS_EPI_NOTE_WOOLF_TOO_FEW. *used (if not NULL) is the number used. */
uint64_t cs_epi_woolf_rr(cs_test *out, size_t *used, const cs_2x2 *strata,
                         size_t k);

/* Woolf's test for the odds ratios, w = 1 / (1/a + 1/b + 1/c + 1/d),
 * over the strata with four non-zero cells. epiR adds 0.5 to every cell
 * of every stratum; crampstat does not (docs/epi.md). */
uint64_t cs_epi_woolf_or(cs_test *out, size_t *used, const cs_2x2 *strata,
                         size_t k);

/* ---- Everything of one factor, and of one stratified factor ----------- */

/* The measures the report shows for a factor with table t and exposure
 * hours t1 (exposed) and t0, at the given level: each as the function
 * above computes it (the rate measures per 1000 h). Returns (and keeps in
 * notes) the or of their notes. */
typedef struct cs_epi_factor {
    cs_ci af_exposed;         /* cs_stats_af_exposed */
    cs_ci paf, par;           /* cs_epi_paf, cs_epi_par */
    cs_nnt nnt;
    cs_ci exact_or;
    cs_ci rate_difference;    /* per 1000 h */
    cs_ci af_rate;
    cs_ci par_rate;           /* per 1000 h */
    cs_ci paf_rate;
    uint64_t notes;
} cs_epi_factor;
uint64_t cs_epi_factor_measures(cs_epi_factor *out, const cs_2x2 *t,
                                double t1, double t0, double level);

/* The pooled measures of a factor over k strata. */
typedef struct cs_epi_stratified {
    cs_ci mh_rd, mh_rd_sato;  /* Greenland-Robins and Sato variances */
    cs_epi_crude_adj crude_adj;
    cs_test woolf_rr, woolf_or;
    size_t woolf_rr_used, woolf_or_used;
    uint64_t notes;
} cs_epi_stratified;
uint64_t cs_epi_stratified_measures(cs_epi_stratified *out,
                                    const cs_2x2 *strata, size_t k,
                                    double level);

/* ---- JSON keys of the aggregate report (docs/report-json.md) ------------ */
/* Each writer appends keys for an object the caller has open, and returns
 * CS_OK or the first cs_buf error. Undefined numbers are null, and
 * "epi_notes" lists the texts of the notes of everything written. */

/* A factor's measures (cs_epi_factor_measures): writes
 *   "af_exposed_interval", "paf_interval", "attributable_risk_population",
 *   "nnt" (with "kind"), "exact_odds_ratio", "attributable_rate_per_1000h",
 *   "af_exposed_rate", "attributable_rate_population_per_1000h",
 *   "paf_rate", "epi_notes",
 * each followed by ", ", so the caller writes its next key after them. */
int cs_epi_json_factor(cs_buf *b, const cs_epi_factor *m);

/* One stratum's measures (cs_epi_stratum_measures): writes ", \"risk_ratio\": ..., \"odds_ratio\": ...,
 * \"risk_difference\": ..., \"epi_notes\": [...]" (a leading ", ", none
 * after). */
int cs_epi_json_stratum(cs_buf *b, const cs_epi_stratum *m);

/* A stratified factor's measures (cs_epi_stratified_measures): writes "mh_risk_difference" (Greenland-Robins),
 * "mh_risk_difference_sato", "crude_to_adjusted" {risk_ratio,
 * odds_ratio}, "woolf_homogeneity" {risk_ratio, odds_ratio: {statistic,
 * df, p}}, "epi_notes", each followed by ", ". */
int cs_epi_json_stratified(cs_buf *b, const cs_epi_stratified *m);

#endif
