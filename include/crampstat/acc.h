/* Accumulators: the one path from a tagged session to every statistic.
 *
 * A state (cs_agg, aggregate.h) is a set of accumulators under one
 * registry (src/acc.c). Each accumulator is a cs_acc_kind: it is created
 * from the options, adds one tagged session, merges another state's copy
 * of itself exactly, writes and reads its own named, versioned section of
 * the partial state (src/partial.c), is finished (canonical order), and
 * computes its numbers into the report model (report.h), from which every
 * format is rendered. The session totals, the factor tables, the logistic
 * model's covariate patterns, the per-participant sums, the dose-response
 * bands, the days for incidence over time and the calorie goals are the
 * accumulators there are; docs/architecture.md says how to add one. */
#ifndef CRAMPSTAT_ACC_H
#define CRAMPSTAT_ACC_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/dose.h>
#include <crampstat/error.h>
#include <crampstat/rules.h>
#include <crampstat/value.h>

struct cs_agg;
struct cs_report;
struct cs__ptext;

/* The dose-response exposures and the day of one session: dose[e] NaN
 * when missing; has_day 0 when undated. */
typedef struct cs_agg_more {
    double dose[CS_DOSE_N];
    int32_t day;
    int has_day;
} cs_agg_more;

/* One tagged session as every accumulator sees it. The chain fills it
 * from the tagged session (chain.c), aggregate from tag's output
 * (tagread.c). */
typedef struct cs_acc_row {
    const signed char *factor;    /* CS_F_N flags: 1, 0, -1 unknown */
    int outcome;                  /* 1 case, 0 not, -1 unknown */
    uint64_t mmin;                /* duration in milli-minutes */
    cs_str by, adjust;            /* values of the --by and --adjust columns */
    cs_str participant;
    const cs_agg_more *more;      /* NULL: exposures missing, undated */
    double goal_lb_week;          /* the calorie goal; NaN when not known */
    /* Worked out by an accumulator for those after it in the registry:
     * the index of the session's adjustment level, CS_CLU_NO_LEVEL when a
     * main factor is unknown (set by "logistic"). */
    unsigned level;
    /* The participant's number, 1 up, where the rows' maker has one (the
     * chain: its place in the survey table): one number for each id
     * throughout the run, so that a table keeping participants can find
     * one by it instead of by its id. 0 where there is none (tag's
     * output read back, a partial state). */
    uint32_t who;
} cs_acc_row;

/* What the accumulators of one merge or finish hand on to each other. */
typedef struct cs_acc_pass {
    /* merge: from's adjustment level i is into's level_map[i]; finish:
     * old level i is now level_map[i] (set by "logistic", used by
     * "cluster"). NULL when there are no levels. */
    size_t *level_map;
    size_t nlevels;
    size_t into_levels;           /* merge: levels into had before */
    int may_take;                 /* merge: from may be emptied */
} cs_acc_pass;

/* The options a run creates its accumulators from. */
typedef struct cs_acc_opts {
    const cs_rules *rules;
    const char *by, *adjust;      /* NULL or "": none */
    int sessions;                 /* the session accumulators */
    int cluster;                  /* per-participant sums (not --cluster none) */
    int calories;                 /* the calorie goals ... */
    int calories_by;              /* ... grouped by enum cs_cal_by */
} cs_acc_opts;

typedef struct cs_acc_kind {
    const char *name;             /* its section in the partial state */
    unsigned version;             /* of that section */
    /* The accumulators it builds on, which come before it in the
     * registry and must be in the same state (NULL-terminated names). */
    const char *const *needs;
    /* Part of a state made with these options? */
    int (*wanted)(const cs_acc_opts *o);
    /* Make it part of a (from the options; o is NULL when its section is
     * about to be read). */
    int (*create)(struct cs_agg *a, const cs_acc_opts *o, cs_error *err);
    void (*dispose)(struct cs_agg *a);
    int (*add)(struct cs_agg *a, cs_acc_row *r, cs_error *err);
    /* Can from be merged into into (the same rules, columns, bands ...)?
     * CS_EDATA with the reason when not. Every accumulator is asked
     * before any merges, so that states that do not fit change nothing.
     * NULL: they always fit. (A merge can still fail part way, on a count
     * past 2^64, the level limit or memory: into is then to be thrown
     * away, as merge, report and analyze do.) */
    int (*mergeable)(const struct cs_agg *into, const struct cs_agg *from,
                     cs_error *err);
    /* into += from, exactly (CS_EDATA when a count would overflow). */
    int (*merge)(struct cs_agg *into, struct cs_agg *from, cs_acc_pass *p,
                 cs_error *err);
    /* Sort into the canonical order, so that equal states write equal
     * bytes. */
    int (*finish)(struct cs_agg *a, cs_acc_pass *p, cs_error *err);
    /* Its section's lines (after the "section" line); errors stick in b. */
    void (*write)(const struct cs_agg *a, cs_buf *b);
    /* Its section's lines from an untrusted state: the shared line reader
     * t returns 0 at the next section (internal.h). */
    int (*read)(struct cs_agg *a, struct cs__ptext *t);
    /* Once every section is read: its totals agree with the others'. */
    int (*check)(const struct cs_agg *a, struct cs__ptext *t);
    /* Its numbers into the report model, run in registry order, after
     * those of the accumulators it builds on (NULL: none here; the
     * calorie goals have a report of their own). */
    void (*report)(struct cs_report *r);
    /* The part of its numbers that reads only this accumulator's state
     * and the options and writes only its own part of the model, so that
     * it may run on a second thread beside the reports (cs_report_compute
     * does, unless --threads 1). NULL: none. */
    void (*report_beside)(struct cs_report *r);
    /* add for r[0] ... r[n - 1], in order, in one call (cs_agg_add_rows):
     * the number added before one failed (err set), n when none did.
     * NULL: add is called for each session. */
    size_t (*add_rows)(struct cs_agg *a, cs_acc_row *r, size_t n,
                       cs_error *err);
    /* For a section of a line a participant: its lines from item *from
     * on (0: the start), at least one, stopping once b holds room bytes
     * or more, so
     * that a state is written in pieces (cs_agg_stream_partial_some);
     * *from is then where to go on. 1 while lines remain, 0 once the
     * section is complete; errors stick in b. The pieces put together
     * are write's bytes. NULL: write writes it at once. */
    int (*write_part)(const struct cs_agg *a, cs_buf *b, size_t *from,
                      size_t room);
} cs_acc_kind;

/* The registry, in section order. */
extern const cs_acc_kind *const cs_acc_registry[];
extern const size_t cs_acc_count;
/* At most as many as cs_agg.have (an unsigned) has bits. */
#define CS_ACC_MAX 32
/* The registry index of the accumulator named name, or -1. */
int cs_acc_find(cs_str name);

#endif
