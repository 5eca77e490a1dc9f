/* The chain as one library call: a survey and exercise files through
 * ingest -> join -> tag -> the states (aggregate and calories), with no
 * CSV between the stages, tagging and counting in a thread of their own
 * (handoff.h). analyze runs it; the piped commands give the same states. */
#ifndef CRAMPSTAT_CHAIN_H
#define CRAMPSTAT_CHAIN_H
#include <stdint.h>
#include <crampstat/aggregate.h>
#include <crampstat/buf.h>
#include <crampstat/calories.h>
#include <crampstat/error.h>
#include <crampstat/html.h>
#include <crampstat/idset.h>
#include <crampstat/ingest.h>
#include <crampstat/join.h>
#include <crampstat/report.h>
#include <crampstat/rules.h>

#define CS_CHAIN_MAX_EXERCISE 1024

typedef struct cs_chain_opts {
    const char *survey;
    const char *const *exercise;
    int nexercise;                /* 1 ... CS_CHAIN_MAX_EXERCISE */
    const cs_rules *rules;
    const char *by, *adjust;      /* columns, or NULL */
    int cluster;                  /* participant sums (cs_agg_cluster) */
    int unique_ids;               /* skip the duplicate session-id check */
    int keep_going;               /* leave out a file not read to its end */
    const char *rejects;          /* reject log, or NULL */
    /* A shard's states (analyze --partial-prefix): the calorie goals of
     * the sessions alone, without the survey's participants, which a
     * report of merged shards counts once; and the one exercise file
     * recorded under input_name (NULL: its path). */
    int sessions_calories;
    const char *input_name;
    /* Only the sessions of shard shard_k of shard_n (cs_ingest_set_shard;
     * shard_n 0: all). */
    unsigned shard_k, shard_n;
} cs_chain_opts;

/* What a run tells as it goes; any may be NULL. */
typedef struct cs_chain_hooks {
    void *ctx;
    /* The survey was loaded. */
    void (*survey)(void *ctx, const char *path, cs_ingest_counts c);
    /* Every 65536 rows of an exercise file: raw bytes consumed of size
     * (0 when unknown), rows read. */
    void (*progress)(void *ctx, uint64_t consumed, uint64_t size,
                     uint64_t rows);
    /* An exercise file was read, to its end or not (then left_out
     * follows, with keep_going). */
    void (*file)(void *ctx, const char *path, cs_ingest_counts c);
    void (*left_out)(void *ctx, const char *why);
} cs_chain_hooks;

/* An exercise file left out (keep_going): why, and how many of its rows
 * were read (and not counted) before the damage. */
typedef struct cs_chain_left {
    const char *path;
    char why[300];
    uint64_t rows;
} cs_chain_left;

typedef struct cs_chain {
    cs_chain_opts o;
    cs_agg agg;                   /* the files read to their end, and the
                                     survey's calorie goals (agg.cal) */
    cs_rejlog *rej;
    cs_survey *sv;
    cs_idset *ids;                /* NULL with unique_ids */
    /* The survey, then every exercise file read to its end. */
    cs_html_input inputs[CS_CHAIN_MAX_EXERCISE + 1];
    size_t ninputs;
    cs_chain_left left[CS_CHAIN_MAX_EXERCISE];
    size_t nleft;
    /* Sessions over the files read to their end: read, joined, rejected
     * (ingest and join), rejected for want of a survey row; then tagged
     * (of joined) and counted into the states (of tagged). */
    uint64_t read, joined, rejected, no_survey, tagged, counted;
    /* private */
    struct cs_tagger *tg;
    cs_acc_opts acc;              /* the accumulators of every file */
    int agg_ready;
    unsigned char merged[CS_CHAIN_MAX_EXERCISE];
} cs_chain;

/* Check the options (CS_EUSAGE for a --by or --adjust column the chain
 * cannot give) and set up the states and the reject log. */
int cs_chain_open(cs_chain **out, const cs_chain_opts *o, cs_error *err);
/* Read the survey and every exercise file into the states and finish
 * them. The reject log's file is closed at the end (its counts stay for
 * the report), and a write error of its fails the run (CS_EIO). With
 * keep_going, a file that cannot be read to its end is left out
 * (c->left) and the run goes on; the caller decides the exit. */
int cs_chain_run(cs_chain *c, const cs_chain_hooks *h, cs_error *err);
/* The report in ro->format: aggregate, then calories, then the files left
 * out; JSON is one object {"ingest", "aggregate", "calories"}, HTML one
 * page. command: the command line, shown by HTML. */
int cs_chain_render(cs_chain *c, const cs_report_opts *ro,
                    const char *command, cs_buf *b, cs_error *err);
/* Close the reject log (its write error is reported, if cs_chain_run has
 * not) and free. */
int cs_chain_close(cs_chain *c, cs_error *err);
#endif
