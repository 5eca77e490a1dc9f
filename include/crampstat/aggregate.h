/* Accumulated cramp counts per cause factor: the mergeable state behind
 * aggregate, merge and report. Everything in it is an integer (sessions,
 * cases, exposure in milli-minutes), so merging is exact, associative and
 * commutative, and a merged report equals the single-pass one to the
 * byte. Memory: one small block per stratum and 64 covariate patterns per
 * adjustment level, never per session. */
#ifndef CRAMPSTAT_AGGREGATE_H
#define CRAMPSTAT_AGGREGATE_H

#include <stdint.h>
#include <crampstat/acc.h>
#include <crampstat/buf.h>
#include <crampstat/cluster.h>
#include <crampstat/dose.h>
#include <crampstat/error.h>
#include <crampstat/period.h>
#include <crampstat/rules.h>
#include <crampstat/tag.h>

struct cs_cal;

#define CS_AGG_MAX_LEVELS 1000   /* strata or adjustment levels */
#define CS_AGG_PATTERNS (1u << CS_F_MAIN_N)

/* Exposure states of a cell. */
enum { CS_AGG_UNEXPOSED = 0, CS_AGG_EXPOSED = 1, CS_AGG_UNKNOWN = 2 };

typedef struct cs_agg_cell {
    uint64_t sessions, cases;
    uint64_t mmin;                /* exposure in milli-minutes */
} cs_agg_cell;

typedef struct cs_agg_level {
    char *name;                   /* the column's value ("" = empty) */
    size_t name_len;              /* strlen(name) */
    cs_agg_cell cell[CS_F_N][3];  /* factor x exposure state */
    uint64_t n[CS_AGG_PATTERNS];  /* adjustment level: sessions per pattern */
    uint64_t y[CS_AGG_PATTERNS];  /* ... and cases */
    uint64_t m[CS_AGG_PATTERNS];  /* ... and milli-minutes */
} cs_agg_level;

/* One leaf state a state is made of: a state written from counts
 * ('aggregate --partial', 'calories --partial') is a leaf; a merged state
 * is made of its inputs' leaves (docs/partial-format.md). */
typedef struct cs_agg_leaf {
    char id[64];                  /* the SHA-256 of the leaf's own text, in
                                     lower-case hex (no NUL) */
    uint32_t from;                /* the caller's number for the input it was
                                     read from (0 when read; merge numbers
                                     its files, to name them) */
} cs_agg_leaf;

typedef struct cs_agg {
    char rules[1024];             /* cs_rules_fingerprint */
    int outcome;                  /* enum cs_outcome */
    char by[128];                 /* stratifying column, "" = none */
    char adjust[128];             /* adjustment column, "" = none */
    uint64_t rows;                /* tagged sessions read */
    uint64_t outcome_unknown;     /* left out: outcome unknown */
    /* sorted by name after cs_agg_finish. The cells hold every session
     * added once the state is finished, merged, written or reported:
     * until then the four session factors' sums wait under their states'
     * combination, and the wave factors' (electrolyte to the last
     * medical factor) under the last run of sessions that share them and
     * a stratum (src/factors.c). */
    cs_agg_level *strata;
    size_t nstrata;
    cs_agg_level *adj;            /* pattern tables per adjustment level */
    size_t nadj;
    char **inputs;                /* input names, sorted, distinct */
    size_t ninputs;
    size_t last_stratum, last_adj;/* lookup cache */
    struct cs__factors_run *run;  /* "factors": the pending run */
    cs_clu *clu;                  /* per-participant sums; NULL = sessions
                                     are not clustered (--cluster none) */
    cs_clu_wave clu_wave;         /* "cluster": the last session's key part */
    /* ---- dose-response and incidence over time (dose.h, period.h) ---- */
    cs_dose dose;
    cs_period period;
    /* ---- the calorie goals (calories.h); NULL when not counted ---- */
    struct cs_cal *cal;
    /* ---- which accumulators it holds: bit i = cs_acc_registry[i] ---- */
    unsigned have;
    /* ---- their add functions, in registry order and NULL-terminated,
     * for the accumulators of add_have: cs_agg_add_row makes the list
     * again when that is not have (a list walked for every session, where
     * the registry took a look-up of each bit's entry) ---- */
    int (*add[CS_ACC_MAX + 1])(struct cs_agg *a, cs_acc_row *r, cs_error *err);
    unsigned add_have;
    /* ---- the leaf states it is made of, sorted by id, distinct; none
     * in a state counted here and not yet written (it is then a leaf
     * of its own: its id is made when it is written) ---- */
    cs_agg_leaf *leaf;
    size_t nleaves;
} cs_agg;

/* An empty state: no accumulators. */
void cs_agg_empty(cs_agg *a);
/* A state with the accumulators the options ask for (acc.h). */
int cs_agg_open(cs_agg *a, const cs_acc_opts *o, cs_error *err);
/* The session accumulators, without the per-participant sums (add them
 * with cs_agg_cluster): what 'aggregate --cluster none' counts. */
int cs_agg_init(cs_agg *a, const cs_rules *r, const char *by,
                const char *adjust, cs_error *err);
void cs_agg_dispose(cs_agg *a);
/* Keep per-participant sums, for intervals robust to the clustering of
 * sessions within participants (cluster.h). Call before the first add. */
int cs_agg_cluster(cs_agg *a, cs_error *err);
/* Does a hold the accumulator named name? */
int cs_agg_has(const cs_agg *a, const char *name);
/* Record an input's name (once); a state without the session
 * accumulators records none. */
int cs_agg_add_input(cs_agg *a, const char *name, cs_error *err);

/* Add one tagged session to every accumulator of a, in registry order. */
int cs_agg_add_row(cs_agg *a, cs_acc_row *r, cs_error *err);
/* Add n tagged sessions, in order: each accumulator takes them all
 * before the next in the registry does (an accumulator with add_rows in
 * one call), so that a call per session and accumulator becomes one per
 * accumulator. The counts and the error are those of cs_agg_add_row on
 * each in turn: the first session one fails on, with the first
 * accumulator in registry order that fails on it (the state is then to
 * be thrown away). */
int cs_agg_add_rows(cs_agg *a, cs_acc_row *r, size_t n, cs_error *err);
/* The same from its parts, with every dose-response exposure missing,
 * no day and no calorie goal. */
int cs_agg_add(cs_agg *a, const signed char *factor, int outcome,
               uint64_t mmin, cs_str by_value, cs_str adjust_value,
               cs_str participant, cs_error *err);

/* Duration text (plain decimal minutes) to milli-minutes, rounded to the
 * nearest, but at least 1 for a positive duration; -1 when it is not a
 * plain decimal in 0 ... 1440. */
int cs_agg_mmin(cs_str duration, uint64_t *out);

/* into += from; CS_EDATA when they do not hold the same accumulators,
 * when one refuses (different rules, outcome, by, adjust, groups), when
 * they share a leaf state (its sessions would count twice), or on a
 * counter overflow. into's leaves become the union of both. */
int cs_agg_merge(cs_agg *into, const cs_agg *from, cs_error *err);
/* The same, but from may be emptied: what can be handed over (the
 * participants' sums when into has none yet) is moved, not copied. */
int cs_agg_merge_move(cs_agg *into, cs_agg *from, cs_error *err);
/* The index in into->leaf of a leaf state that from holds too, or -1:
 * what merge would refuse, for a message that names both inputs. A
 * state that counts nothing shares nothing: empty shards all have the
 * same text, and merging them changes no count. */
long cs_agg_shared_leaf(const cs_agg *into, const cs_agg *from);
/* Whether a counts no session and no survey participant. */
int cs_agg_counts_nothing(const cs_agg *a);
/* Sort strata, levels and participants (the canonical order). */
int cs_agg_finish(cs_agg *a, cs_error *err);

/* The partial-state text (docs/partial-format.md, src/partial.c): a
 * magic line, one named, versioned section per accumulator, the "leaf"
 * lines, the "sha256" line, "end". A state with no leaves is written as a
 * leaf: its id is the SHA-256 of the text before its "leaf" line.
 * Appended to out; CS_OK, or out's error (out of memory, its cap). */
int cs_agg_write_partial(const cs_agg *a, cs_buf *out, cs_error *err);
/* The same for the accumulators of a whose bits (cs_acc_registry order)
 * are in mask, as a state holding only those would be written: one run's
 * counts as the states of two commands (analyze --partial-prefix writes
 * aggregate's and calories'). CS_ERROR when a section would go without
 * one it needs, or for a part of a merged state (its leaves name whole
 * states). */
int cs_agg_write_partial_some(const cs_agg *a, unsigned mask, cs_buf *out,
                              cs_error *err);
/* The same text handed to out(ctx, p, n, err) in pieces of about 1 MiB,
 * as it is made: a state of any size is written with that much memory
 * besides the counts. out returns CS_OK or a CS_E* code with err set,
 * which ends the writing with that code. */
typedef int (*cs_partial_out)(void *ctx, const char *p, size_t n,
                              cs_error *err);
int cs_agg_stream_partial_some(const cs_agg *a, unsigned mask,
                               cs_partial_out out, void *ctx, cs_error *err);
/* Parse untrusted partial-state text into a (made here; disposed on
 * failure); name is used in messages. The "sha256" line is checked
 * against the text before anything else; a state without "leaf" and
 * "sha256" lines (as crampstat wrote format 3 before them) is read
 * without that check, as a leaf whose id is the SHA-256 of its text
 * before "end". */
int cs_agg_read_partial(cs_agg *a, const char *name, const char *text,
                        size_t len, cs_error *err);

/* Read a whole (possibly gzip) file of at most CS_PARTIAL_MAX bytes into
 * b. A state grows with the participants: about 200-350 bytes each when
 * clustered, so 16 GiB is some 50 million (1 GiB where size_t has 32
 * bits). So that a wrong file does not fill memory, one that does not
 * begin "crampstat-partial " is refused after its first 64 KiB, as the
 * parser would refuse it (CS_EPARSE), and gzip that inflates past
 * CS_PARTIAL_GZ_FLOOR bytes to more than CS_PARTIAL_GZ_RATIO times what
 * was read of it is refused (CS_ELIMIT): a state's text compresses 3 to
 * 6 times. */
#define CS_PARTIAL_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 34 : 30))
#define CS_PARTIAL_GZ_FLOOR ((size_t)16 << 20)
#define CS_PARTIAL_GZ_RATIO 64
int cs_read_small_file(cs_buf *b, const char *path, cs_error *err);

#endif
