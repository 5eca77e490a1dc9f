/* The ingest stage as a library: open an input, check its header against
 * the contract, and hand out accepted rows one by one, logging every
 * rejected row with its reason. ingest, join, calories and analyze all
 * read their inputs through this, so validation exists once. */
#ifndef CRAMPSTAT_INGEST_H
#define CRAMPSTAT_INGEST_H

#include <stdint.h>
#include <crampstat/error.h>
#include <crampstat/idset.h>
#include <crampstat/reader.h>
#include <crampstat/schema.h>

/* ---- reject log ---------------------------------------------------- */

typedef struct cs_rejlog cs_rejlog;

/* path NULL: count only. The log is CSV with the header
 * source,line,record,column,reason,raw. */
int cs_rejlog_open(cs_rejlog **out, const char *path, cs_error *err);
/* Log one rejected row. column NULL or "" for the whole row. */
void cs_rejlog_add(cs_rejlog *l, const char *src, const cs_record *rec,
                   const char *column, const char *reason);
/* Rejections counted per column ("" = the whole row), in first-seen
 * order: returns the number of distinct keys; *name and *count of key i. */
size_t cs_rejlog_nkeys(const cs_rejlog *l);
void cs_rejlog_key(const cs_rejlog *l, size_t i, const char **name,
                   uint64_t *count);
uint64_t cs_rejlog_total(const cs_rejlog *l);
/* Remember the counts (cs_rejlog_mark), and later put them back as they
 * were then (cs_rejlog_rewind): for an input whose rows are not to be
 * counted after all. The log keeps the lines written since. */
void cs_rejlog_mark(cs_rejlog *l);
void cs_rejlog_rewind(cs_rejlog *l);
/* Flush and close the log's file, keeping the counts (rows logged after
 * are counted only); reports a write error. Accepts NULL. */
int cs_rejlog_finish(cs_rejlog *l, cs_error *err);
/* cs_rejlog_finish, then free. Accepts NULL. */
int cs_rejlog_close(cs_rejlog *l, cs_error *err);

/* ---- ingest ---------------------------------------------------------- */

/* read = accepted + rejected + other: other counts the rows of other
 * shards (cs_ingest_set_shard), 0 when the input is not sharded. */
typedef struct cs_ingest_counts {
    uint64_t read, accepted, rejected, other;
} cs_ingest_counts;

/* The shard, 1 to n, of the participant id: its bytes b0 b1 ... hashed
 * as h = (h * 31 + b) mod 2147483647 from h = 0, then h mod n + 1. The
 * id is taken as the contract reads it (unquoted, spaces and tabs at its
 * edges trimmed); pipelines/shard.sh deals rows out by the same hash. */
unsigned cs_shard_of(cs_str id, unsigned n);
/* Parse "K/N" (1 <= K <= N <= 65536) into *k and *n: 0, or -1. */
int cs_shard_parse(const char *s, unsigned *k, unsigned *n);

typedef struct cs_ingest cs_ingest;

/* Open path ("-" = stdin) as kind (enum cs_schema_kind) and read its
 * header. ids: when not NULL, session ids are checked for duplicates
 * against it (rows after the first with an id are rejected). */
int cs_ingest_open(cs_ingest **out, const char *path, int kind,
                   cs_rejlog *rej, cs_idset *ids, cs_error *err);
/* The same over a reader already open on any stream (a file, standard
 * input, memory) whose header h was just read (cs_reader_open_header):
 * the reader is taken over, freed with the ingest or on failure. */
int cs_ingest_open_reader(cs_ingest **out, cs_reader *r, const cs_record *h,
                          int kind, cs_rejlog *rej, cs_idset *ids,
                          cs_error *err);
/* The next accepted row: 1 and *rec (borrowed until the next call), 0 at
 * end, <0 on a fatal error. For exercise, *ses is filled; for survey,
 * *wave; for any, neither (pass NULL). */
int cs_ingest_next(cs_ingest *in, const cs_record **rec, cs_session *ses,
                   cs_wave *wave, cs_error *err);
/* For an exercise input whose accepted rows the caller writes as they
 * lie when they are their own canonical text (ingest's runs): have the
 * read-ahead thread check such rows ahead, when it has time. A row it
 * accepted comes out with rec->checked set and, of *ses, only session_id
 * and canon_cells (all canonical) filled; the duplicate check and the
 * counts are as for any row. Returns 1 when on; 0 when the input has no
 * read-ahead thread, is not exercise rows, or CRAMPSTAT_CHECK_AHEAD is
 * off. */
int cs_ingest_mark_runs(cs_ingest *in);
/* Start (or stop, with NULL) checking session ids for duplicates. */
void cs_ingest_set_ids(cs_ingest *in, cs_idset *ids);
/* Hand out only the rows of shard k of n (cs_shard_of their participant
 * id) from here on; the others are counted as other, neither checked nor
 * logged. A row without a participant_id field (too few fields, or a
 * record over a reader cap) is shard 1's, as an empty id is, so that the
 * n shards together take every row once. CS_EUSAGE when the input has no
 * participant_id column (a schema other than exercise or survey); n = 1
 * takes every row. Call before cs_ingest_mark_runs, which it turns off. */
int cs_ingest_set_shard(cs_ingest *in, unsigned k, unsigned n,
                        cs_error *err);
/* Move the row last handed out from accepted to rejected, for a stage
 * that rejects it for a reason of its own (and logs it itself). */
void cs_ingest_uncount(cs_ingest *in);
const cs_schema *cs_ingest_schema(const cs_ingest *in);
/* The line of the input's header (for messages about its columns). */
size_t cs_ingest_header_line(const cs_ingest *in);
cs_ingest_counts cs_ingest_counts_of(const cs_ingest *in);
const cs_reader *cs_ingest_reader(const cs_ingest *in);
/* Field col (from 0) of the line about `lines` lines after the last
 * record, as it reads when its fields are plain, into *out: 1, or 0 when
 * that line is not in the reader's buffer yet, or quotes, or is short.
 * Each call moves on one line, so that called once a record it stays the
 * same distance ahead. Only a hint for fetching: the line's record may
 * read otherwise (a quoted field over several lines), and *out is valid
 * only until the next record is read. */
int cs_ingest_ahead_field(cs_ingest *in, long col, int lines, cs_str *out);
/* cs_reader_on_move for the reader underneath: fn(ctx) runs before the
 * text of rows already handed out moves (rows rejected in between
 * included). */
void cs_ingest_on_move(cs_ingest *in, void (*fn)(void *ctx), void *ctx);
/* fn(ctx, rec, col) for each row the contract rejects (not a row over a
 * reader cap, which has no fields), col the field at fault or -1; a
 * negative return (a CS_E* code) ends cs_ingest_next with that error. */
void cs_ingest_on_reject(cs_ingest *in,
                         int (*fn)(void *ctx, const cs_record *rec, long col),
                         void *ctx);
const char *cs_ingest_name(const cs_ingest *in);
void cs_ingest_free(cs_ingest *in);

#endif
