/* Tag's output read back (tag.h writes it): the columns are found by
 * name once per header, and each row comes out as a typed record, or is
 * rejected with a reason naming its column. aggregate and calories read
 * tagged sessions through this. */
#ifndef CRAMPSTAT_TAGREAD_H
#define CRAMPSTAT_TAGREAD_H
#include <stdint.h>
#include <crampstat/aggregate.h>
#include <crampstat/error.h>
#include <crampstat/ingest.h>
#include <crampstat/reader.h>
#include <crampstat/tag.h>

/* What a reader needs of a row (cs_tagread_opts.want). The outcome is
 * always read. */
enum {
    CS_TR_FACTORS = 1,      /* every factor flag and duration_min */
    CS_TR_PARTICIPANT = 2,  /* participant_id, not empty */
    CS_TR_MORE = 4,         /* the dose-response exposures and start_time */
    CS_TR_GOAL = 8          /* goal_lb_week, one of the nine goals */
};

typedef struct cs_tagread_opts {
    unsigned want;              /* CS_TR_* */
    const char *by, *adjust;    /* columns whose text a row carries, or NULL */
    const char *command;        /* named in a missing-column message */
} cs_tagread_opts;

/* One tagged session. The strings borrow from the reader's record (valid
 * until the next row); what was not asked for is left zero. */
typedef struct cs_tagrow {
    signed char factor[CS_F_N];   /* 1, 0, -1 unknown */
    signed char outcome;
    uint64_t mmin;                /* duration in milli-minutes */
    double goal_lb_week;
    cs_str participant, by, adjust;
    cs_agg_more more;
    const cs_record *rec;
} cs_tagrow;

typedef struct cs_tagread cs_tagread;

/* 1 when header h is tag's output as far as calories can tell (it has
 * outcome and goal_lb_week). */
int cs_tagread_is_tagged(const cs_record *h);

/* Read the rows of r, whose header h was just read: the columns asked
 * for are looked up (a missing or doubled one is CS_EPARSE naming it; a
 * missing --by or --adjust column CS_EUSAGE). r is borrowed; rejected
 * rows go to rej (NULL: counted only). */
int cs_tagread_open(cs_tagread **out, cs_reader *r, const cs_record *h,
                    const cs_tagread_opts *o, cs_rejlog *rej, cs_error *err);

/* The next accepted row: 1, 0 at the end, <0 on an error of reading. */
int cs_tagread_next(cs_tagread *t, cs_tagrow *row, cs_error *err);

/* Every accepted row from here to the end, counted into a (cs_agg_add_rows,
 * 64 rows a call, as analyze counts them): the factors, duration and
 * exposures when they were asked for (CS_TR_FACTORS, CS_TR_MORE), the
 * goal (CS_TR_GOAL), the participant and the --by and --adjust values,
 * whose text is copied, since the next row may overwrite it. The same
 * counts as a row at a time with cs_agg_add_row. CS_OK at the end, or
 * the error of reading or counting (the rows read before an error of
 * reading are counted). */
int cs_tagread_count(cs_tagread *t, cs_agg *a, cs_error *err);

/* Rows read and rejected so far. */
uint64_t cs_tagread_rows(const cs_tagread *t);
uint64_t cs_tagread_rejected(const cs_tagread *t);

void cs_tagread_free(cs_tagread *t);
#endif
