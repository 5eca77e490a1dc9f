/* Dose-response: sessions, cases and exposure per band of a graded
 * exposure (intensity_rpe, heat_index_c, fluid_ml_per_h, warmup_min,
 * duration_min, calcium_mg, potassium_mg), with the bands from the rules
 * (cs_dose_cuts), and, when sessions cluster by participant, each
 * participant's sessions and cases per band for the cluster-robust trend.
 *
 * Every count is an integer, so merging shards is exact and order-free.
 * Memory: at most CS_DOSE_N * CS_DOSE_MAXBANDS cells, and per participant
 * an entry of a few bytes (two, mostly) per band it has sessions in;
 * never per session. */
#ifndef CRAMPSTAT_DOSE_H
#define CRAMPSTAT_DOSE_H

#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>
#include <crampstat/rules.h>
#include <crampstat/stats.h>

/* Name of exposure e: its column in tag's output ("intensity_rpe" ...). */
const char *cs_dose_exposure_name(int e);

typedef struct cs_dose_band {
    uint64_t sessions, cases, mmin;
} cs_dose_band;

#define CS_DOSE_TABLE 1024

typedef struct cs_dose_exp {
    cs_dose_cuts cuts;
    cs_dose_band band[CS_DOSE_MAXBANDS];
    uint64_t missing;             /* exposure not recorded: left out */
    uint64_t below;               /* below the first band: left out */
    /* cuts.cut[1 .. 4], NaN past the last cut (no value reaches it): the
     * bounds cs_dose_add compares a value with whatever the number of
     * cuts, set with the cuts. Not part of the state. */
    double hi[4];
    /* When the first cut is at least 0 and every later one a whole
     * number from 1 to CS_DOSE_TABLE - 1 (tabled), as the default bands'
     * are but the heat index's (its first is -inf): tab[i] is the band
     * of the values from i to i + 1, i from 0 to lim, the last cut (0
     * with one cut), so that a value's band is a look-up of its whole
     * part, clamped to lim. Not part of the state. */
    int tabled;
    double lim;
    unsigned char tab[CS_DOSE_TABLE];
} cs_dose_exp;

typedef struct cs_dose_people cs_dose_people;

typedef struct cs_dose {
    int present;                  /* 0: a state without the section */
    cs_dose_exp e[CS_DOSE_N];
    int wide;                     /* an exposure has more than five cuts */
    int tabled;                   /* the first five exposures but the heat
                                     index are tabled, and it has five cuts
                                     at most */
    cs_dose_people *people;       /* NULL: not clustered */
} cs_dose;

/* Bands from the rules. */
void cs_dose_init(cs_dose *d, const cs_rules *r);
/* Keep per-participant counts per band (before the first add). */
int cs_dose_cluster(cs_dose *d, cs_error *err);
void cs_dose_dispose(cs_dose *d);

/* The band of value v: 0 .. n-1, -1 below the first bound, -2 missing
 * (NaN). */
int cs_dose_band_of(const cs_dose_cuts *c, double v);

/* A derived value as tag's output holds it (rounded to 9 decimals), so
 * that analyze bands it as aggregate does after reading the text. */
double cs_dose_canonical(double v);
/* A value that falls in the band of cuts c that cs_dose_canonical(v)
 * falls in: v itself unless it lies within 1e-6 of a cut, where the
 * rounding could move it across (it moves a value by at most 5e-10).
 * The division the rounding costs is then paid for few sessions. */
double cs_dose_banded(const cs_dose_cuts *c, double v);
/* 1 when every finite cut of c is a whole number under 1e9 in magnitude,
 * as the default bands' are: then a value more than 1e-5 from every whole number
 * lies more than 1e-6 from every cut, and cs_dose_banded_quick gives it
 * back without looking at the cuts. */
int cs_dose_cuts_whole(const cs_dose_cuts *c);
/* cs_dose_banded(c, v), whole = cs_dose_cuts_whole(c): the same double,
 * inline, and for nearly every value a test of its fraction (about a
 * dozen instructions where cs_dose_banded takes 43 with the default five
 * cuts). The fraction is exact (v less its truncation); the margin, ten
 * times the cuts' 1e-6, covers the rounding of 1 - f. */
static inline double cs_dose_banded_quick(const cs_dose_cuts *c, int whole,
                                          double v)
{
    if (whole && __builtin_fabs(v) < 1e9) {
        double f = __builtin_fabs(v - (double)(int64_t)v);
        if (f > 1e-5 && f < 1 - 1e-5)
            return v;
    }
    return cs_dose_banded(c, v);
}

/* Add one session with a known outcome (0/1): v[e] the exposures (NaN
 * when missing), mmin its duration in milli-minutes, participant its id
 * (used only when clustered). */
int cs_dose_add(cs_dose *d, const double v[CS_DOSE_N], int outcome,
                uint64_t mmin, cs_str participant, cs_error *err);

/* into += from; CS_EDATA when their bands differ. */
int cs_dose_merge(cs_dose *into, const cs_dose *from, cs_error *err);
/* Sort the participants (the canonical order of the state text). */
int cs_dose_finish(cs_dose *d, cs_error *err);

/* The partial-state section:
 *   dose EXPOSURE REFERENCE CUT,CUT,... MISSING BELOW
 *   band EXPOSURE INDEX SESSIONS CASES MMIN       (non-zero bands)
 *   dp :ID E.B:N:Y ...                           (clustered states)  */
int cs_dose_write(const cs_dose *d, cs_buf *out);
/* The same in pieces: item 0 is the "dose" and "band" lines, item i + 1
 * participant i's "dp" line; writes items *from, *from + 1, ..., at least
 * one (item 0 and a participant's line, from 0), stopping once out holds
 * room bytes or more, *from then the next. 1 while items remain, 0 when
 * done, or a CS_E* code. */
int cs_dose_write_part(const cs_dose *d, cs_buf *out, size_t *from,
                       size_t room);
/* One line of the section: word is its first word ("dose", "band",
 * "dp"), rest the remainder. A message into why on error (-1). */
int cs_dose_read_line(cs_dose *d, cs_str word, cs_str rest, char *why,
                      size_t whycap);
/* After reading: every exposure declared, its counts adding up to used
 * sessions, and the participants' counts to the bands. */
int cs_dose_check(const cs_dose *d, uint64_t used, char *why, size_t whycap);
size_t cs_dose_participants(const cs_dose *d);

/* ---- statistics ------------------------------------------------------ */

typedef struct cs_dose_band_stats {
    double lower, upper;          /* the band's bounds (upper: +inf) */
    uint64_t sessions, cases;
    double hours;
    cs_ci risk, rate, rr;         /* Wilson; exact Poisson per 1000 h; Katz
                                     against the reference band */
    uint32_t notes;
} cs_dose_band_stats;

typedef struct cs_dose_stats {
    int exposure;
    int nbands, reference;
    cs_dose_band_stats band[CS_DOSE_MAXBANDS];
    uint64_t missing, below;
    cs_test trend;                /* Cochran-Armitage, scores 1 .. k */
    int robust;                   /* 1: the robust trend was computed */
    cs_ci trend_or;               /* odds ratio per band, sandwich CI */
    double trend_or_p;
    uint64_t participants;
    uint32_t trend_notes, robust_notes;
} cs_dose_stats;

/* Cochran-Armitage trend test as R's prop.trend.test(x, n, score): the
 * chi-square on 1 df. Groups with n == 0 are left out. */
uint32_t cs_dose_trend(cs_test *out, const uint64_t *x, const uint64_t *n,
                       const double *score, size_t k);

void cs_dose_stats_compute(cs_dose_stats *out, const cs_dose *d, int e,
                           double level, int robust);
/* Every exposure's, as cs_dose_stats_compute gives each, with the
 * participants walked once for all of them rather than once each. */
void cs_dose_stats_compute_all(cs_dose_stats out[CS_DOSE_N], const cs_dose *d,
                               double level, int robust);

#endif
