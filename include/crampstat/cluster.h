/* Per-participant sums behind the cluster-robust (sandwich) intervals.
 *
 * Sessions nest in participants, so an interval that treats them as
 * independent is too narrow. The robust variance of a model's estimating
 * equations needs, for every participant, the sum of its sessions' score
 * contributions; those depend on the fitted values, known only at the end.
 * So the state keeps, per participant, its sessions counted by the full
 * vector of factor states (and the adjustment level): a handful of
 * distinct vectors per person, never one entry per session. Every number
 * is an integer, so merging shards is exact and order-free, including a
 * participant whose sessions are spread over several shards.
 *
 * Memory: one hash slot and one record per participant, and one 24-byte
 * entry per distinct factor-state vector of that participant. */
#ifndef CRAMPSTAT_CLUSTER_H
#define CRAMPSTAT_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>
#include <crampstat/stats.h>
#include <crampstat/tag.h>

typedef struct cs_clu cs_clu;

/* The key of an entry: 2 bits per factor (0 unexposed, 1 exposed,
 * 3 unknown), factor f at bits 2f; the adjustment level index above them
 * (CS_CLU_NO_LEVEL when a main factor is unknown: not in the models). */
#define CS_CLU_LEVEL_SHIFT (2 * CS_F_N)
#define CS_CLU_NO_LEVEL 0x3ffu

/* The "cluster" accumulator's cache of the key's part for the wave
 * factors (electrolyte on), which sessions grouped by participant share
 * for long runs: their flags, as the last session had them, and their
 * packed states (no bits of the factors before them). known 0: none. */
typedef struct cs_clu_wave {
    int known;
    signed char flags[CS_F_N - CS_F_ELECTROLYTE];
    uint64_t bits;
} cs_clu_wave;

int cs_clu_create(cs_clu **out, cs_error *err);
void cs_clu_free(cs_clu *c);

/* Add one session with a known outcome (0/1) of participant id. factor[]
 * is 1/0/-1 per factor; level is the adjustment level's index (or
 * CS_CLU_NO_LEVEL); mmin the exposure in milli-minutes. */
int cs_clu_add(cs_clu *c, cs_str id, const signed char *factor, unsigned level,
               int outcome, uint64_t mmin, cs_error *err);

/* into += from; level_map[j] is into's index of from's adjustment level j
 * (nlevels entries). */
int cs_clu_merge(cs_clu *into, const cs_clu *from, const size_t *level_map,
                 size_t nlevels, cs_error *err);

/* Renumber the adjustment levels: new index = map[old]. */
void cs_clu_remap_levels(cs_clu *c, const size_t *map, size_t nlevels);

/* Sort participants by id and entries by key: the canonical order that
 * makes sums, and so every result, independent of the input order. */
int cs_clu_finish(cs_clu *c, cs_error *err);

size_t cs_clu_participants(const cs_clu *c);
/* Participant i's id (0 <= i < cs_clu_participants): in id order once
 * read from a state or finished. Borrowed from c. */
cs_str cs_clu_id(const cs_clu *c, size_t i);
/* Totals of every entry: cell[factor][state 0/1/2][sessions, cases,
 * mmin], and per level j and pattern k: pn[j * 64 + k] sessions,
 * py[j * 64 + k] cases, pm[j * 64 + k] milli-minutes (nlevels levels). */
void cs_clu_totals(const cs_clu *c, uint64_t cell[CS_F_N][3][3],
                   size_t nlevels, uint64_t *pn, uint64_t *py, uint64_t *pm);
/* Bytes held (tables, ids, entries). */
size_t cs_clu_bytes(const cs_clu *c);

/* The partial-state section: one line per participant,
 *   p :ID KEY/LEVEL:N:Y:MMIN ...
 * with KEY the 14 factor states as 0, 1 or '-'. */
int cs_clu_write(const cs_clu *c, cs_buf *out);
/* The same in pieces: the lines of participants *from, *from + 1, ...,
 * at least one, stopping once out holds room bytes or more; *from is
 * then the next one. 1 while participants remain, else 0. */
int cs_clu_write_part(const cs_clu *c, cs_buf *out, size_t *from,
                      size_t room);
/* Parse one "p" line's rest (after the word "p"); nlevels bounds LEVEL. */
int cs_clu_read_line(cs_clu *c, cs_str rest, size_t nlevels, char *why,
                     size_t whycap);

/* ---- Cluster-robust statistics of one factor ------------------------- */

/* Why a robust measure is undefined (NaN); cs_clu_notes_format names them. */
enum cs_clu_note {
    CS_CLU_NOTE_EMPTY = 1u << 0,         /* a group has no sessions */
    CS_CLU_NOTE_ZERO_CELL = 1u << 1,     /* a zero cell: the estimate or its
                                            log is not finite */
    CS_CLU_NOTE_ONE_PARTICIPANT = 1u << 2, /* a group's sessions come from a
                                              single participant */
    CS_CLU_NOTE_ZERO_SE = 1u << 3,       /* robust standard error 0 */
    CS_CLU_NOTE_NOT_FITTED = 1u << 4,    /* the model has no usable fit */
    CS_CLU_NOTE_SINGULAR = 1u << 5,      /* the bread could not be inverted */
    CS_CLU_NOTE_NOMEM = 1u << 6,
    CS_CLU_NOTE_SEPARATION = 1u << 7     /* the fit is separated: its
                                            coefficients are not estimates,
                                            so no robust interval or p */
};
size_t cs_clu_notes_format(char *buf, size_t cap, uint32_t notes);

typedef struct cs_clu_factor {
    uint64_t participants_exposed, participants_unexposed;
    uint64_t participants;        /* G: with the factor and outcome known */
    uint64_t sessions;            /* N */
    cs_ci risk_ratio;             /* Poisson log link, y ~ 1 + x */
    cs_ci odds_ratio;             /* binomial logit */
    cs_ci risk_difference;        /* identity link */
    cs_ci rate_ratio;             /* Poisson log link, offset log(hours) */
    cs_ci exposed_risk;           /* intercept-only logit, back-transformed */
    cs_ci unexposed_risk;
    /* Attributable fraction among the exposed, (RR - 1) / RR, its limits
     * those of the robust risk ratio carried through. */
    cs_ci af_exposed;
    /* Population attributable fraction 1 - p0 / p, p the risk of all
     * sessions; Wald interval on log(1 - PAF) = log p0 - log p with the
     * sandwich variance of the two ratio estimators summed over
     * participants (Jewell's variance when each has one session). */
    cs_ci paf;
    double se_log_rr;             /* robust SE of log RR (with the factor) */
    double design_effect;         /* (robust SE / Katz SE)^2 of log RR */
    uint32_t notes;               /* CS_NOTE_* for the whole set */
    uint32_t rr_notes, or_notes, rd_notes, rate_notes, exp_notes, unexp_notes;
    uint32_t af_notes, paf_notes;
} cs_clu_factor;

/* Robust statistics of factor f over all participants; level is the
 * confidence level. Undefined measures are NaN with a note. */
void cs_clu_factor_stats(cs_clu_factor *out, const cs_clu *c, int f,
                         double level);
/* The same for every factor at once (one walk over the participants). */
void cs_clu_factor_stats_all(cs_clu_factor out[CS_F_N], const cs_clu *c,
                             double level);

/* ---- Models on the sessions with all six main factors known ----------- */

#define CS_CLU_MAXP 64

typedef struct cs_clu_terms {
    size_t p;
    double beta[CS_CLU_MAXP];     /* the model's coefficients */
    double se[CS_CLU_MAXP];       /* robust SE; NaN when aliased */
    double lower[CS_CLU_MAXP], upper[CS_CLU_MAXP]; /* exp scale */
    double p_value[CS_CLU_MAXP];
    uint64_t participants, sessions;
    uint32_t notes;
} cs_clu_terms;

/* Cluster-robust covariance of a logistic fit (beta, aliased from it) on
 * the pattern design: x_row(k, level, row) fills row p entries for pattern
 * bits k at level. */
typedef void (*cs_clu_row_fn)(double *row, unsigned bits, unsigned level,
                              void *payload);

void cs_clu_logit_robust(cs_clu_terms *out, const cs_clu *c,
                         const cs_logit_fit *fit, cs_clu_row_fn row,
                         void *payload, double level);

/* The Poisson rate model: cases per session, offset log(hours / 1000),
 * fitted by Newton on the pattern totals; model-based and robust
 * intervals on the rate-ratio scale. */
typedef struct cs_poisson_fit {
    size_t p, rank;
    double beta[CS_CLU_MAXP], se[CS_CLU_MAXP];
    double lower[CS_CLU_MAXP], upper[CS_CLU_MAXP], p_value[CS_CLU_MAXP];
    unsigned char aliased[CS_CLU_MAXP];
    uint64_t sessions;
    int converged, iterations;
    uint32_t status;
} cs_poisson_fit;

/* x: m x p row-major design, y cases, t exposure (thousands of hours). */
int cs_poisson_fit_patterns(cs_poisson_fit *out, const double *x,
                            const uint64_t *y, const double *t,
                            const uint64_t *n, size_t m, size_t p,
                            double level);

void cs_clu_poisson_robust(cs_clu_terms *out, const cs_clu *c,
                           const cs_poisson_fit *fit, cs_clu_row_fn row,
                           void *payload, double level);

/* Both models' robust covariances in one walk over the participants,
 * each the same to the bit as its own function gives; an out NULL is
 * not computed. */
void cs_clu_models_robust(cs_clu_terms *logit_out, const cs_logit_fit *logit,
                          cs_clu_terms *pois_out, const cs_poisson_fit *pois,
                          const cs_clu *c, cs_clu_row_fn row, void *payload,
                          double level);

#endif
