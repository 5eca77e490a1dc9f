/* The survey table and the join of sessions to survey waves (DATA.md
 * section 3): a session gets its participant's latest wave dated on or
 * before the session's day as written; when every wave is later, the
 * earliest. Memory grows with the survey, never with the sessions. */
#ifndef CRAMPSTAT_JOIN_H
#define CRAMPSTAT_JOIN_H

#include <stdint.h>
#include <crampstat/ingest.h>
#include <crampstat/schema.h>
#include <crampstat/writer.h>

typedef struct cs_survey cs_survey;

/* Load a survey file through the ingest stage (rejects go to rej; a second
 * wave of a participant with the same survey_date is rejected too). */
int cs_survey_load(cs_survey **out, const char *path, cs_rejlog *rej,
                   cs_error *err);
/* The same with only the rows of shard k of n (cs_ingest_set_shard): the
 * waves of the participants whose sessions a run of --shard K/N joins. */
int cs_survey_load_shard(cs_survey **out, const char *path, cs_rejlog *rej,
                         unsigned shard_k, unsigned shard_n, cs_error *err);
/* The same over a reader already open on any stream, whose header h was
 * just read: the reader is taken over (freed here, also on failure). */
int cs_survey_load_reader(cs_survey **out, cs_reader *r, const cs_record *h,
                          cs_rejlog *rej, cs_error *err);
/* Read counts of the survey input. */
cs_ingest_counts cs_survey_counts(const cs_survey *s);
uint64_t cs_survey_participants(const cs_survey *s);
uint64_t cs_survey_waves(const cs_survey *s);
size_t cs_survey_bytes(const cs_survey *s);  /* memory held */
/* The wave for a session of participant id on day (days since
 * 1970-01-01), or NULL when the participant has no wave. Borrowed until
 * cs_survey_free. */
const cs_wave *cs_survey_find(const cs_survey *s, cs_str id, int32_t day);
/* The same, remembering the participant found in *cur (zero to start):
 * sessions come in runs of one participant, and a session of the one
 * found last costs an id comparison instead of a hash and a probe; one
 * on a day the wave found last still covers, not even the search of
 * the participant's waves. A cursor belongs to one survey and one
 * thread. */
typedef struct cs_survey_cursor {
    uint32_t part;      /* the participant found last, index + 1; 0 none */
    /* When part is set: the wave found last, and the days from first to
     * last (both included) for which it is the participant's wave. */
    int32_t first, last;
    const cs_wave *wave;
    uint32_t moves;     /* times it went to another participant (wraps) */
    /* How many tries in a row of the participants just after the
     * cursor's in the survey found none of them (at most NEXT_MISSED):
     * from that many on, they are tried only at every 16th move to
     * another participant, and a try that finds one starts the count
     * again. */
    uint32_t next_missed;
} cs_survey_cursor;
const cs_wave *cs_survey_find_at(const cs_survey *s, cs_survey_cursor *cur,
                                 cs_str id, int32_t day);
/* Sessions not grouped by participant (in time order, say) need a
 * search of the table nearly every row, and its three reads (the slot,
 * the participant, its waves) each miss the cache and wait on the one
 * before. Given, once a row, the participant id of a line some rows
 * ahead, this fetches the slot for it, the participant CS_FETCH_STEP rows
 * later and its id and waves CS_FETCH_STEP rows after that, so that the
 * reads find them in cache when the line's turn comes. A hint: nothing
 * changes but what is in cache. f starts zeroed; one per cursor. */
#define CS_FETCH_STEP 3
typedef struct cs_survey_fetch {
    uint64_t h[2 * CS_FETCH_STEP];  /* the ids' hashes, by row mod 2 step */
    uint32_t v[2 * CS_FETCH_STEP];  /* their first slots' participants */
    unsigned k;                     /* rows so far */
} cs_survey_fetch;
void cs_survey_fetch_ahead(const cs_survey *s, cs_survey_fetch *f, cs_str id);
/* The cursor's wave when it is the one for a session of id (at most 16
 * bytes) on day, told inline from the wave, which points at its
 * participant's id, and compared without a call; else NULL, for
 * cs_survey_find_at (which tells the cursor's wave the same, for any
 * id). */
static inline const cs_wave *cs_survey_cursor_wave(const cs_survey_cursor *cur,
                                                   cs_str id, int32_t day)
{
    const cs_wave *w = cur->wave;

    return cur->part && id.len <= 16 && w->participant_id.len == id.len &&
           (uint32_t)day - (uint32_t)cur->first <=
           (uint32_t)cur->last - (uint32_t)cur->first &&
           cs_bytes_eq(w->participant_id.ptr, id.ptr, id.len)
           ? w : NULL;
}
/* Every participant's latest wave, in participant order of first
 * appearance; for per-participant statistics (calories). */
size_t cs_survey_count(const cs_survey *s);
const cs_wave *cs_survey_latest(const cs_survey *s, size_t i);
void cs_survey_free(cs_survey *s);

/* The join stage for one accepted session of `in`: its wave, or NULL
 * after rejecting the session (logged to rej, counted as rejected in in)
 * because its participant has no survey row. cur: as cs_survey_find_at. */
const cs_wave *cs_join_session(const cs_survey *s, cs_survey_cursor *cur,
                               cs_ingest *in, const cs_record *rec,
                               const cs_session *ses, cs_rejlog *rej);

/* Survey columns appended by join, after the exercise columns: every
 * survey contract column but participant_id. */
void cs_join_write_header(cs_writer *w);
/* CS_EPARSE at src:line:column when an extra column of the exercise
 * header ex has the name of one of those survey columns: join would
 * write it twice, and the next stage refuses such a header (analyze
 * refuses it too, to give what the chain gives). CS_OK otherwise. */
int cs_join_check_header(const cs_schema *ex, const char *src, size_t line,
                         cs_error *err);
/* Those columns of a wave as CSV text (no leading or trailing comma; no
 * field needs quoting), appended to b. */
int cs_join_format_wave(cs_buf *b, const cs_wave *wv);
/* The same text for a wave of the table, made on first use and kept;
 * ptr is NULL when out of memory. */
cs_str cs_survey_wave_text(cs_survey *s, const cs_wave *wv);

/* Joined rows read back from CSV (the output of join): one header holds
 * the exercise and the survey columns. */
typedef struct cs_jschema cs_jschema;

/* drop: columns with these names are neither parsed nor kept as extras
 * (NULL = none). */
int cs_jschema_create(cs_jschema **out, const char *src, const cs_record *h,
                      int (*drop)(cs_str name), cs_error *err);
/* 1 accepted (ses and wave filled, borrowing from rec), 0 rejected. */
int cs_jschema_parse(const cs_jschema *j, const cs_record *rec,
                     cs_session *ses, cs_wave *wave, cs_reject *rej);
/* The same for the rows of one input in order (tag): when a row's survey
 * columns are written exactly as those of the last wave this parsed, that
 * is its wave: *wave is left as the last call made it but for its
 * participant_id, and *same is 1. Sessions come grouped by participant,
 * and checking the wave again was a sixth of tag's time. *wave must hold
 * what the last call gave; its text fields may then point into an earlier
 * record, so use its values, and text made of it then. */
int cs_jschema_parse_next(cs_jschema *j, const cs_record *rec,
                          cs_session *ses, cs_wave *wave, cs_reject *rej,
                          int *same);
const cs_schema *cs_jschema_exercise(const cs_jschema *j);
const cs_schema *cs_jschema_survey(const cs_jschema *j);
/* The survey columns after participant_id when they lie side by side in
 * the header, in the contract's order: how many (0 when they do not),
 * and the index of the first in *first. */
size_t cs_jschema_wave_cols(const cs_jschema *j, size_t *first);
/* The other columns, kept as they came: names, and values of a row (each
 * as a field of the current row). */
void cs_jschema_write_extra_header(const cs_jschema *j, cs_writer *w);
void cs_jschema_write_extra(const cs_jschema *j, cs_writer *w,
                            const cs_record *rec);
void cs_jschema_free(cs_jschema *j);

#endif
